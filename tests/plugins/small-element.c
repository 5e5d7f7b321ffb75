/* small-element.c — broken: an element descriptor's struct_size is smaller than ABI 1.0's. */
#include "test-plugin.h"

static const SluiceSourceCallbacks callbacks = { SLUICE_SOURCE_CALLBACKS_INIT };

static const SluiceElementDescriptor source = {
  .struct_size = 8,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "small-element-source",
  .callbacks = &callbacks,
};

SLUICE_PLUGIN_DEFINE (small_element, "1.0", "MIT", "Truncated element.", NULL, NULL, &source)
