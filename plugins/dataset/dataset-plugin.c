/* dataset-plugin.c — the descriptor of sluice-dataset.so: the dataset source and sink, and the
 * union_datasets and merge_datasets sources. */
#include "dataset-elements.h"

SLUICE_PLUGIN_DEFINE (dataset, "0.1.0", "MIT", "Reads and writes sluice datasets",
                      NULL, NULL, &dataset_source, &dataset_sink, &dataset_union_source,
                      &dataset_merge_source)
