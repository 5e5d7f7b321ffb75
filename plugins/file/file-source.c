/* file-source.c — the `file` source: entities from a JSON array or JSON lines file.
 *
 * The file is read in FILE_CHUNK_SIZE pieces through the SDK's streaming JSON reader, so a run
 * holds at most one chunk's worth of parsed entities in memory however large the file is.  The file
 * is opened when a run starts, not when the pipe is configured, so that it may appear later.  The
 * reader accepts a top-level array as well as a sequence of values, which is why both formats read
 * the same way; `format` only matters to the sink.
 *
 * Continuation works as for `embedded`: with `supports_since`, an incremental run emits only the
 * entities whose own `_updated` sorts after the stored offset. */
#include "file-elements.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  char *path;
  gboolean fail_if_empty;

  /* The current run. */
  int fd;
  SluiceJsonReader *reader;
  guint8 *chunk;
  gboolean at_eof;  /* the whole file has been fed to the reader */
  SluiceValue *since;
  size_t n_values;  /* values read so far, for error messages */
  size_t n_emitted; /* entities emitted in this run */
} FileSource;

static const SluiceOptionSpec file_source_options[] = {
  { .key = "path", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The file to read. A relative path is relative to the working directory of "
                   "sluiced." },
  { .key = "format", .types = SLUICE_OPTION_STRING, .default_json = "\"auto\"",
    .choices = file_format_choices,
    .description = "`json` (an array of entities) or `jsonl` (one entity per line); `auto` picks "
                   "`jsonl` for names ending in .jsonl or .ndjson and `json` otherwise. Either "
                   "format is read the same way." },
  SOURCE_COMMON_OPTIONS ("false", "true", "false"),
  { NULL },
};

static void *
file_source_create (SluiceElementContext *context, GError **error)
{
  const char *path = sluice_element_context_get_string (context, "path", NULL);
  FileSource *self;

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "file source: option 'path' must name a file");
      return NULL;
    }
  self = g_new0 (FileSource, 1);
  self->context = context;
  self->path = g_strdup (path);
  self->fail_if_empty
    = g_strcmp0 (sluice_element_context_get_string (context, "if_source_empty", "accept"), "fail")
      == 0;
  self->fd = -1;
  return self;
}

static void
file_source_close (void *instance)
{
  FileSource *self = instance;

  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  g_clear_pointer (&self->reader, sluice_json_reader_free);
  g_clear_pointer (&self->chunk, g_free);
  g_clear_pointer (&self->since, sluice_value_unref);
}

static void
file_source_destroy (void *instance)
{
  FileSource *self = instance;

  file_source_close (self);
  g_free (self->path);
  g_free (self);
}

static uint32_t
file_source_get_capabilities (void *instance)
{
  FileSource *self = instance;

  return source_common_get_capabilities (self->context);
}

static gboolean
file_source_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  FileSource *self = instance;
  int fd;

  file_source_close (self);
  do
    fd = open (self->path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "file source: cannot open '%s': %s",
                   self->path, g_strerror (saved));
      return FALSE;
    }
  self->fd = fd;
  self->reader = sluice_json_reader_new (0);
  self->chunk = g_malloc (FILE_CHUNK_SIZE);
  self->at_eof = FALSE;
  self->since = source_common_dup_since (self->context, run_flags, since);
  self->n_values = 0;
  self->n_emitted = 0;
  return TRUE;
}

/* Feeds the reader the next chunk of the file, or tells it the input ended. */
static gboolean
feed_chunk (FileSource *self, GError **error)
{
  g_autoptr (GError) local = NULL;
  ssize_t n;

  do
    n = read (self->fd, self->chunk, FILE_CHUNK_SIZE);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "file source: cannot read '%s': %s",
                   self->path, g_strerror (saved));
      return FALSE;
    }
  if (n == 0)
    {
      self->at_eof = TRUE;
      if (!sluice_json_reader_finish (self->reader, &local))
        goto parse_error;
      return TRUE;
    }
  if (!sluice_json_reader_feed (self->reader, self->chunk, (size_t) n, &local))
    goto parse_error;
  return TRUE;

parse_error:
  /* The reader's message starts with the byte offset ("byte 120: expected …"). */
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE, "file source: '%s': %s", self->path,
               local->message);
  return FALSE;
}

/* The next entity that counts in this run; NULL at the end of the file or on error. */
static SluiceEntity *
next_entity (FileSource *self, GError **error)
{
  for (;;)
    {
      g_autoptr (SluiceValue) value = sluice_json_reader_pop (self->reader);
      g_autoptr (GError) local = NULL;
      SluiceEntity *entity;
      SluiceValue *id;
      size_t index;

      if (value == NULL)
        {
          if (self->at_eof || !feed_chunk (self, error))
            return NULL;
          continue;
        }
      index = self->n_values++;
      if (sluice_value_get_kind (value) != SLUICE_VALUE_DICT)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "file source: '%s': entity %zu (counting from 0): expected an object, got "
                       "%s",
                       self->path, index, sluice_value_kind_get_name (sluice_value_get_kind (value)));
          return NULL;
        }
      id = sluice_value_dict_lookup (value, "_id");
      if (id == NULL || sluice_value_get_kind (id) != SLUICE_VALUE_STRING)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "file source: '%s': entity %zu (counting from 0): expected a string `_id`",
                       self->path, index);
          return NULL;
        }
      entity = sluice_entity_new (value, &local);
      if (entity == NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "file source: '%s': entity %zu (counting from 0): %s", self->path, index,
                       local->message);
          return NULL;
        }
      if (source_common_is_after_since (self->since, value))
        return entity;
      sluice_entity_unref (entity);
    }
}

static SluiceFlow
file_source_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  FileSource *self = instance;
  uint32_t added = 0;

  if (self->reader == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "file source: '%s': read without a successful open", self->path);
      return SLUICE_FLOW_ERROR;
    }
  while (added < max_entities)
    {
      GError *local = NULL;
      SluiceEntity *entity = next_entity (self, &local);

      if (entity == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return SLUICE_FLOW_ERROR;
            }
          if (self->n_emitted == 0 && self->since == NULL && self->fail_if_empty)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "file source: '%s' holds no entities, and if_source_empty is \"fail\"",
                           self->path);
              return SLUICE_FLOW_ERROR;
            }
          return SLUICE_FLOW_EOS;
        }
      sluice_batch_take (batch, entity);
      self->n_emitted++;
      added++;
    }
  return SLUICE_FLOW_OK;
}

static const SluiceSourceCallbacks file_source_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = file_source_create,
  .destroy = file_source_destroy,
  .get_capabilities = file_source_get_capabilities,
  .open = file_source_open,
  .read = file_source_read,
  .close = file_source_close,
};

const SluiceElementDescriptor file_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "file",
  .description = "Reads entities from a JSON array or JSON lines file.",
  .options = file_source_options,
  .callbacks = &file_source_callbacks,
};
