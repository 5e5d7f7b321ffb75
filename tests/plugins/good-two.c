/* good-two.c — a second well-formed test plugin, with a transform and no init or deinit. */
#include "test-plugin.h"

static const SluiceTransformCallbacks transform_callbacks = { SLUICE_TRANSFORM_CALLBACKS_INIT };

static const SluiceElementDescriptor good_transform = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_TRANSFORM,
  .type_name = "good-transform",
  .description = "Changes nothing.",
  .callbacks = &transform_callbacks,
};

SLUICE_PLUGIN_DEFINE (good_two, "0.1", "Apache-2.0", "Another well-formed test plugin.", NULL, NULL,
                      &good_transform)
