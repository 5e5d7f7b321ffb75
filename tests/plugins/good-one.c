/* good-one.c — a well-formed test plugin providing one element of every kind.
 *
 * Its init and deinit leave a trace in the environment variable SLUICE_TEST_GOOD_ONE, so that the
 * loader tests can see when the host called them without the plugin exporting anything else.
 */
#include "test-plugin.h"

static const char *const mode_choices[] = { "full", "incremental", NULL };

static const SluiceOptionSpec auth_options[] = {
  { .key = "user", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The user name." },
  { .key = "password", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_SECRET,
    .description = "The password." },
  { NULL },
};

static const SluiceOptionSpec source_options[] = {
  { .key = "url", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "Where to read from." },
  { .key = "page_size", .types = SLUICE_OPTION_INTEGER, .default_json = "100",
    .description = "Entities per request." },
  { .key = "mode", .types = SLUICE_OPTION_STRING, .default_json = "\"full\"",
    .choices = mode_choices, .description = "How to read." },
  { .key = "auth", .types = SLUICE_OPTION_OBJECT, .properties = auth_options,
    .description = "Credentials." },
  { .key = "headers", .types = SLUICE_OPTION_OBJECT | SLUICE_OPTION_NULL,
    .flags = SLUICE_OPTION_FLAG_OPEN, .default_json = "null",
    .description = "Extra HTTP headers." },
  { NULL },
};

static const SluiceSourceCallbacks source_callbacks = { SLUICE_SOURCE_CALLBACKS_INIT };
static const SluiceSinkCallbacks sink_callbacks = { SLUICE_SINK_CALLBACKS_INIT };
static const SluiceSystemCallbacks system_callbacks = { SLUICE_SYSTEM_CALLBACKS_INIT };
static const SluicePatternCallbacks pattern_callbacks = { SLUICE_PATTERN_CALLBACKS_INIT };

static const SluiceElementDescriptor good_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "good-source",
  .description = "Reads nothing, well.",
  .options = source_options,
  .callbacks = &source_callbacks,
};

static const SluiceElementDescriptor good_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "good-sink",
  .description = "Writes nothing, well.",
  .callbacks = &sink_callbacks,
};

static const SluiceElementDescriptor good_system = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SYSTEM,
  .type_name = "system:good",
  .description = "Connects to nothing.",
  .callbacks = &system_callbacks,
};

static const SluiceElementDescriptor good_pattern = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_PATTERN,
  .type_name = "pattern:good",
  .description = "Expands to nothing.",
  .callbacks = &pattern_callbacks,
};

static gboolean
good_one_init (GError **error)
{
  g_setenv ("SLUICE_TEST_GOOD_ONE", "init", TRUE);
  return TRUE;
}

static void
good_one_deinit (void)
{
  g_setenv ("SLUICE_TEST_GOOD_ONE", "deinit", TRUE);
}

SLUICE_PLUGIN_DEFINE (good_one, "1.2.3", "MIT", "A well-formed test plugin.", good_one_init,
                      good_one_deinit, &good_source, &good_sink, &good_system, &good_pattern)
