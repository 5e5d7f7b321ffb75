/* bad-options.c — broken: an option's default does not match the option's type. */
#include "test-plugin.h"

static const SluiceOptionSpec options[] = {
  { .key = "url", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED },
  { .key = "batch_size", .types = SLUICE_OPTION_INTEGER, .default_json = "\"ten\"" },
  { NULL },
};

static const SluiceSourceCallbacks callbacks = { SLUICE_SOURCE_CALLBACKS_INIT };

static const SluiceElementDescriptor source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "bad-options-source",
  .description = "A source with a malformed option schema.",
  .options = options,
  .callbacks = &callbacks,
};

SLUICE_PLUGIN_DEFINE (bad_options, "1.0", "MIT", "Malformed option schema.", NULL, NULL, &source)
