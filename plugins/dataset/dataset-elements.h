/* dataset-elements.h — the element descriptors of the `dataset` plugin (sluice-dataset.so): the
 * dataset source and sink and the union_datasets and merge_datasets sources, which reach the store
 * only through the SDK's dataset functions (sluice-datasets.h). */
#pragma once

#include <sluice-plugin-sdk.h>

extern const SluiceElementDescriptor dataset_source;
extern const SluiceElementDescriptor dataset_sink;
extern const SluiceElementDescriptor dataset_union_source;
extern const SluiceElementDescriptor dataset_merge_source;
