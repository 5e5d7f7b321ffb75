/* file-plugin.c — the descriptor of sluice-file.so (the `file` source and sink) and the format
 * option both share. */
#include "file-elements.h"

#include <string.h>

const char *const file_format_choices[] = { "auto", "json", "jsonl", NULL };

FileFormat
file_format_resolve (const char *option, const char *path)
{
  if (g_strcmp0 (option, "json") == 0)
    return FILE_FORMAT_JSON;
  if (g_strcmp0 (option, "jsonl") == 0)
    return FILE_FORMAT_JSONL;
  if (g_str_has_suffix (path, ".jsonl") || g_str_has_suffix (path, ".ndjson"))
    return FILE_FORMAT_JSONL;
  return FILE_FORMAT_JSON;
}

SLUICE_PLUGIN_DEFINE (file, "0.1.0", "MIT",
                      "Reads and writes entities in JSON array and JSON lines files",
                      NULL, NULL,
                      &file_source, &file_sink)
