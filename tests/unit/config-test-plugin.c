/* config-test-plugin.c — a plugin linked into the configuration tests and registered with
 * sluice_registry_add_static.  It provides one element of every kind, with option tables that
 * exercise what validation checks: required keys, types, choices, nested tables, open objects,
 * secret keys and defaults.  The pattern expands into two pipes; a target of "broken" makes it
 * generate a pipe with a mistake, to test how problems in generated components are reported.
 */
#include <string.h>

#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

#include "config-test-plugin.h"

static const char *const mode_choices[] = { "full", "incremental", NULL };

static const SluiceOptionSpec auth_options[] = {
  { "username", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "User name.", NULL, NULL },
  { "password", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_SECRET, NULL, "Password.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec source_options[] = {
  { "url", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "Where to read.", NULL, NULL },
  { "page_size", SLUICE_OPTION_INTEGER, 0, "100", "Entities per request.", NULL, NULL },
  { "mode", SLUICE_OPTION_STRING, 0, "\"full\"", "full or incremental.", mode_choices, NULL },
  { "auth", SLUICE_OPTION_OBJECT, 0, NULL, "Credentials.", NULL, auth_options },
  { "headers", SLUICE_OPTION_OBJECT, 0, NULL, "Extra HTTP headers.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec dataset_sink_options[] = {
  { "dataset", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "Target dataset.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec http_sink_options[] = {
  { "url", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "Where to write.", NULL, NULL },
  { "token", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_SECRET, NULL, "Bearer token.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec transform_options[] = {
  { "rules", SLUICE_OPTION_OBJECT, SLUICE_OPTION_FLAG_REQUIRED, NULL, "The rules.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec system_options[] = {
  { "url_pattern", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "Base URL.", NULL, NULL },
  { "password", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_SECRET, NULL, "Password.", NULL, NULL },
  { "verify_ssl", SLUICE_OPTION_BOOLEAN, 0, "false", "Check certificates.", NULL, NULL },
  { "headers", SLUICE_OPTION_OBJECT, 0, NULL, "Headers.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec pattern_options[] = {
  { "target", SLUICE_OPTION_STRING, SLUICE_OPTION_FLAG_REQUIRED, NULL, "URL to split.", NULL, NULL },
  { "prefix", SLUICE_OPTION_STRING, 0, "\"split\"", "Prefix of the generated _ids.", NULL, NULL },
  { NULL }
};

static const SluiceSourceCallbacks source_callbacks = { SLUICE_SOURCE_CALLBACKS_INIT };
static const SluiceSinkCallbacks sink_callbacks = { SLUICE_SINK_CALLBACKS_INIT };
static const SluiceTransformCallbacks transform_callbacks = { SLUICE_TRANSFORM_CALLBACKS_INIT };
static const SluiceSystemCallbacks system_callbacks = { SLUICE_SYSTEM_CALLBACKS_INIT };

static gboolean
expand_split (const char *component_json, SluiceComponentSink *sink, GError **error)
{
  g_autoptr (JsonNode) root = json_from_string (component_json, error);
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  g_autofree char *target_json = NULL;
  JsonObject *object;
  const char *id, *target, *prefix;

  if (root == NULL)
    return FALSE;
  object = json_node_get_object (root);
  id = json_object_get_string_member (object, "_id");
  target = json_object_get_string_member (object, "target");
  /* Filled in by the host from the schema default when the component does not set it. */
  prefix = json_object_get_string_member (object, "prefix");
  if (g_str_equal (target, "fail"))
    {
      g_set_error_literal (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                           "target 'fail' cannot be split");
      return FALSE;
    }
  {
    g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), target);

    target_json = json_to_string (node, FALSE);
  }
  in = g_strdup_printf ("{\"_id\": \"%s-%s-in\", \"type\": \"pipe\", "
                        "\"source\": {\"type\": \"test-json\", \"url\": %s}%s}",
                        prefix, id, target_json,
                        g_str_equal (target, "broken") ? ", \"batchsize\": 10" : "");
  out = g_strdup_printf ("{\"_id\": \"%s-%s-out\", \"type\": \"pipe\", "
                         "\"source\": {\"type\": \"dataset-source\"}, "
                         "\"sink\": {\"type\": \"test-http\", \"url\": %s}}",
                         prefix, id, target_json);
  return sluice_component_sink_add_json (sink, in, error)
         && sluice_component_sink_add_json (sink, out, error);
}

static const SluicePatternCallbacks pattern_callbacks = {
  SLUICE_PATTERN_CALLBACKS_INIT,
  .expand = expand_split,
};

static const SluiceElementDescriptor test_json_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "test-json",
  .description = "Reads JSON (test).",
  .options = source_options,
  .callbacks = &source_callbacks,
};

static const SluiceElementDescriptor dataset_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "dataset-source",
  .description = "A source without options (test).",
  .options = NULL,
  .callbacks = &source_callbacks,
};

static const SluiceElementDescriptor dataset_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "dataset",
  .description = "Writes a dataset (test).",
  .options = dataset_sink_options,
  .callbacks = &sink_callbacks,
};

static const SluiceElementDescriptor http_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "test-http",
  .description = "Posts entities (test).",
  .options = http_sink_options,
  .callbacks = &sink_callbacks,
};

static const SluiceElementDescriptor dtl_transform = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_TRANSFORM,
  .type_name = "test-dtl",
  .description = "Transforms (test).",
  .options = transform_options,
  .callbacks = &transform_callbacks,
};

static const SluiceElementDescriptor url_system = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SYSTEM,
  .type_name = "system:test-url",
  .description = "An HTTP server (test).",
  .options = system_options,
  .callbacks = &system_callbacks,
};

static const SluiceElementDescriptor split_pattern = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_PATTERN,
  .type_name = "pattern:test-split",
  .description = "Splits a target into an inbound and an outbound pipe (test).",
  .options = pattern_options,
  .callbacks = &pattern_callbacks,
};

SLUICE_PLUGIN_DEFINE (config_test, "1.0.0", "MIT", "Elements for the configuration tests", NULL, NULL,
                      &test_json_source, &dataset_source, &dataset_sink, &http_sink, &dtl_transform,
                      &url_system, &split_pattern)
