/* file-sink.c — the `file` sink: entities written to a JSON array or JSON lines file.
 *
 * Readers of the file never see a half-written run.  A run writes to "<path>.tmp" in the same
 * directory, flushes it to disk, and renames it over <path> only when the run ends successfully;
 * a failed run removes the temporary file and leaves the old file as it was.  The one exception
 * is an incremental run of a `jsonl` sink, which appends to <path> (JSON lines can be appended to
 * cheaply, a JSON array cannot); if that run fails, the file is cut back to its size before the
 * run.  An incremental run of a `json` sink therefore replaces the file with that run's entities.
 *
 * Entities are written as their bodies are, `_deleted` included; the `_updated`, `_ts`, … a
 * dataset assigns appear only when they are part of the body. */
#include "file-elements.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  char *path;
  char *tmp_path;
  char *dir;
  FileFormat format;

  /* The current run. */
  int fd;
  gboolean appending;   /* writing to path itself (incremental jsonl) */
  off_t original_size;  /* when appending: where to cut back to on failure */
  size_t n_written;     /* entities written in this run */
  GString *buffer;
} FileSink;

static const SluiceOptionSpec file_sink_options[] = {
  { .key = "path", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The file to write. A relative path is relative to the working directory of "
                   "sluiced. A run writes <path>.tmp and renames it over <path> when it succeeds." },
  { .key = "format", .types = SLUICE_OPTION_STRING, .default_json = "\"auto\"",
    .choices = file_format_choices,
    .description = "`json` (an array of entities) or `jsonl` (one entity per line); `auto` picks "
                   "`jsonl` for names ending in .jsonl or .ndjson and `json` otherwise. Incremental "
                   "runs append to a `jsonl` file and replace a `json` file." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

static void *
file_sink_create (SluiceElementContext *context, GError **error)
{
  const char *path = sluice_element_context_get_string (context, "path", NULL);
  FileSink *self;

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "file sink: option 'path' must name a file");
      return NULL;
    }
  self = g_new0 (FileSink, 1);
  self->context = context;
  self->path = g_strdup (path);
  self->tmp_path = g_strconcat (path, ".tmp", NULL);
  self->dir = g_path_get_dirname (path);
  self->format = file_format_resolve (sluice_element_context_get_string (context, "format", "auto"),
                                      path);
  self->fd = -1;
  return self;
}

static const char *
current_path (FileSink *self)
{
  return self->appending ? self->path : self->tmp_path;
}

static gboolean
set_io_error (FileSink *self, GError **error, const char *what, const char *path, int errsv)
{
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "file sink: cannot %s '%s': %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

/* Drops the run's output: the temporary file, or what an incremental run appended. */
static void
abandon_run (FileSink *self)
{
  if (self->fd >= 0)
    {
      if (self->appending)
        {
          struct stat st;

          /* Only a regular file can be cut back; a device or pipe keeps what it got. */
          if (fstat (self->fd, &st) == 0 && S_ISREG (st.st_mode)
              && ftruncate (self->fd, self->original_size) != 0)
            sluice_log_warning (self->context, "file sink: cannot restore '%s' to %lld bytes: %s",
                                self->path, (long long) self->original_size, g_strerror (errno));
        }
      close (self->fd);
      self->fd = -1;
      if (!self->appending)
        unlink (self->tmp_path);
    }
  if (self->buffer != NULL)
    g_string_free (self->buffer, TRUE);
  self->buffer = NULL;
}

static void
file_sink_destroy (void *instance)
{
  FileSink *self = instance;

  abandon_run (self);
  g_free (self->path);
  g_free (self->tmp_path);
  g_free (self->dir);
  g_free (self);
}

static gboolean
file_sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  FileSink *self = instance;
  gboolean append = !(run_flags & SLUICE_RUN_FLAG_FULL) && self->format == FILE_FORMAT_JSONL;
  const char *path = append ? self->path : self->tmp_path;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  int fd;

  abandon_run (self);
  do
    fd = open (path, flags, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return set_io_error (self, error, "create", path, errno);

  self->fd = fd;
  self->appending = append;
  self->original_size = 0;
  if (append)
    {
      struct stat st;

      if (fstat (fd, &st) != 0)
        {
          int errsv = errno;

          close (fd);
          self->fd = -1;
          return set_io_error (self, error, "inspect", path, errsv);
        }
      self->original_size = S_ISREG (st.st_mode) ? st.st_size : 0;
    }
  self->n_written = 0;
  self->buffer = g_string_sized_new (FILE_CHUNK_SIZE + 4096);
  if (self->format == FILE_FORMAT_JSON)
    g_string_append_c (self->buffer, '[');
  return TRUE;
}

/* Writes the whole buffer, however many calls that takes. */
static gboolean
flush_buffer (FileSink *self, GError **error)
{
  const char *data = self->buffer->str;
  size_t left = self->buffer->len;

  while (left > 0)
    {
      ssize_t n = write (self->fd, data, left);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_io_error (self, error, "write", current_path (self), errno);
        }
      data += n;
      left -= (size_t) n;
    }
  g_string_truncate (self->buffer, 0);
  return TRUE;
}

static SluiceFlow
file_sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  FileSink *self = instance;
  size_t length = sluice_batch_get_length (batch);

  if (self->fd < 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "file sink: '%s': write without a successful begin", self->path);
      return SLUICE_FLOW_ERROR;
    }
  for (size_t i = 0; i < length; i++)
    {
      const SluiceEntity *entity = sluice_batch_get (batch, i);

      if (self->format == FILE_FORMAT_JSON)
        g_string_append (self->buffer, self->n_written == 0 ? "\n" : ",\n");
      sluice_json_write_value (self->buffer, sluice_entity_get_body (entity));
      if (self->format == FILE_FORMAT_JSONL)
        g_string_append_c (self->buffer, '\n');
      self->n_written++;
      if (self->buffer->len >= FILE_CHUNK_SIZE && !flush_buffer (self, error))
        return SLUICE_FLOW_ERROR;
    }
  /* Hand the batch to the kernel now, so that a full disk fails this batch, not a later one. */
  if (!flush_buffer (self, error))
    return SLUICE_FLOW_ERROR;
  return SLUICE_FLOW_OK;
}

/* Makes the rename itself durable. */
static void
sync_directory (FileSink *self)
{
  int fd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return;
  if (fsync (fd) != 0)
    sluice_log_warning (self->context, "file sink: cannot flush directory '%s': %s", self->dir,
                        g_strerror (errno));
  close (fd);
}

static gboolean
file_sink_end (void *instance, gboolean success, GError **error)
{
  FileSink *self = instance;
  int fd;

  if (self->fd < 0)
    return TRUE;
  if (!success)
    {
      abandon_run (self);
      return TRUE;
    }

  if (self->format == FILE_FORMAT_JSON)
    g_string_append (self->buffer, self->n_written == 0 ? "]\n" : "\n]\n");
  if (!flush_buffer (self, error))
    {
      abandon_run (self);
      return FALSE;
    }
  /* fsync fails with EINVAL on files that cannot be synced (devices, pipes): nothing to lose. */
  if (fsync (self->fd) != 0 && errno != EINVAL)
    {
      set_io_error (self, error, "flush", current_path (self), errno);
      abandon_run (self);
      return FALSE;
    }
  fd = self->fd;
  self->fd = -1;
  if (close (fd) != 0)
    {
      set_io_error (self, error, "close", current_path (self), errno);
      if (!self->appending)
        unlink (self->tmp_path);
      abandon_run (self);
      return FALSE;
    }
  if (!self->appending && rename (self->tmp_path, self->path) != 0)
    {
      int errsv = errno;

      unlink (self->tmp_path);
      abandon_run (self);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "file sink: cannot rename '%s' to '%s': %s",
                   self->tmp_path, self->path, g_strerror (errsv));
      return FALSE;
    }
  if (!self->appending)
    sync_directory (self);
  abandon_run (self);
  return TRUE;
}

static const SluiceSinkCallbacks file_sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = file_sink_create,
  .destroy = file_sink_destroy,
  .begin = file_sink_begin,
  .write = file_sink_write,
  .end = file_sink_end,
};

const SluiceElementDescriptor file_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "file",
  .description = "Writes entities to a JSON array or JSON lines file, replacing it atomically.",
  .options = file_sink_options,
  .callbacks = &file_sink_callbacks,
};
