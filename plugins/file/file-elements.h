/* file-elements.h — the element descriptors of the `file` plugin (sluice-file.so): a source that
 * reads entities from a JSON or JSON-lines file and a sink that writes them to one. */
#pragma once

#include <sluice-plugin-sdk.h>

#include "../common/source-common.h"

extern const SluiceElementDescriptor file_source;
extern const SluiceElementDescriptor file_sink;

/* File formats. */
typedef enum
{
  FILE_FORMAT_JSON,  /* one JSON array of entities */
  FILE_FORMAT_JSONL, /* one entity per line (JSON lines, NDJSON) */
} FileFormat;

/* The `format` option: "json", "jsonl", or "auto" (by the file name: .jsonl and .ndjson are JSON
 * lines, anything else a JSON array). */
FileFormat file_format_resolve (const char *option, const char *path);

extern const char *const file_format_choices[];

/* Bytes read or written per system call. */
#define FILE_CHUNK_SIZE (64 * 1024)
