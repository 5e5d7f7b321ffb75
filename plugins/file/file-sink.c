/* file-sink.c — the `file` sink: entities written to a JSON array or JSON lines file.
 *
 * Readers of the file never see a half-written run.  A run writes to "<path>.tmp" in the same
 * directory, flushes it to disk, and renames it over <path> when the run ends successfully.  The
 * one exception is an incremental run of a `jsonl` sink, which appends to <path> itself (JSON
 * lines can be appended to cheaply, a JSON array cannot); an incremental run of a `json` sink
 * therefore replaces the file with that run's entities.
 *
 * The output agrees with the pipe offset after any failure, a SIGKILL included.  At every
 * checkpoint the sink flushes what it wrote to disk and hands the host its position,
 * {"file": "tmp" or "path", "size": bytes}, which the host stores with the offset in one
 * transaction and gives back to begin_at at the start of the next run.  That run first cuts the
 * file it continues back to the stored size, so whatever a killed run wrote after its last
 * checkpoint is dropped and written again:
 *  - a resumed full run, or an incremental `json` run after one that did not finish, continues
 *    <path>.tmp from its position; when the temporary file is gone, a full run is started over
 *    (SLUICE_ERROR_RESTART_FULL_RUN);
 *  - an incremental `jsonl` run cuts <path> back to the size the last committed run left.
 * A failed run (a failed write included) cuts its file back to its last checkpoint; a temporary
 * file that no checkpoint of the run refers to is removed.
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

/* Which file a position is in. */
#define POSITION_TMP "tmp"
#define POSITION_PATH "path"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  char *path;
  char *tmp_path;
  char *dir;
  FileFormat format;

  /* The current run. */
  int fd;
  gboolean appending;     /* writing to path itself (incremental jsonl) */
  gboolean regular;       /* the file is a regular file: it has positions and can be cut back */
  gboolean any_entity;    /* the output holds an entity (JSON arrays need a comma before the next) */
  off_t size;             /* bytes in the file, as written so far */
  off_t checkpoint_size;  /* the size at the run's start or its last checkpoint */
  gboolean checkpointed;  /* a checkpoint of this run refers to the temporary file */
  GString *buffer;

  /* After a successful end: the position of the finished output, for the final checkpoint. */
  off_t final_size;
  gboolean ended;
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

/* Cuts the current file back to @size bytes (a regular file only; a device keeps what it got). */
static gboolean
cut_back (FileSink *self, off_t size, GError **error)
{
  if (!self->regular || self->size == size)
    return TRUE;
  if (ftruncate (self->fd, size) != 0)
    return set_io_error (self, error, "cut back", current_path (self), errno);
  self->size = size;
  return TRUE;
}

static void
clear_buffer (FileSink *self)
{
  if (self->buffer != NULL)
    g_string_free (self->buffer, TRUE);
  self->buffer = NULL;
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
      self->size += n;
    }
  g_string_truncate (self->buffer, 0);
  return TRUE;
}

/* Ends a run that did not succeed: the file goes back to the run's last checkpoint, and a
 * temporary file that no checkpoint refers to goes away. */
static void
abandon_run (FileSink *self)
{
  g_autoptr (GError) error = NULL;

  if (self->fd >= 0)
    {
      if (!cut_back (self, self->checkpoint_size, &error))
        sluice_log_warning (self->context, "%s", error->message);
      close (self->fd);
      self->fd = -1;
      if (!self->appending && !self->checkpointed)
        unlink (self->tmp_path);
    }
  clear_buffer (self);
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

/* Reads a position this sink produced: which file, and its size.  FALSE when @position is NULL or
 * not one (then *ret_file is NULL). */
static gboolean
parse_position (const SluiceValue *position, const char **ret_file, off_t *ret_size)
{
  SluiceValue *file, *size;

  *ret_file = NULL;
  if (position == NULL || sluice_value_get_kind (position) != SLUICE_VALUE_DICT)
    return FALSE;
  file = sluice_value_dict_lookup (position, "file");
  size = sluice_value_dict_lookup (position, "size");
  if (file == NULL || sluice_value_get_kind (file) != SLUICE_VALUE_STRING || size == NULL
      || sluice_value_get_kind (size) != SLUICE_VALUE_INTEGER || sluice_value_get_integer (size) < 0)
    return FALSE;
  *ret_file = sluice_value_get_string (file, NULL);
  *ret_size = (off_t) sluice_value_get_integer (size);
  return TRUE;
}

static gboolean
open_file (FileSink *self, const char *path, int flags, GError **error)
{
  struct stat st;
  int fd;

  do
    fd = open (path, flags | O_WRONLY | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return set_io_error (self, error, (flags & O_CREAT) ? "create" : "open", path, errno);
  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;

      close (fd);
      return set_io_error (self, error, "inspect", path, errsv);
    }
  self->fd = fd;
  self->regular = S_ISREG (st.st_mode);
  self->size = self->regular ? st.st_size : 0;
  self->checkpoint_size = self->size;
  return TRUE;
}

/* An incremental `jsonl` run: <path> is cut back to the size the last committed run left. */
static gboolean
begin_appending (FileSink *self, const char *position_file, off_t position_size, GError **error)
{
  if (!open_file (self, self->path, O_CREAT | O_APPEND, error))
    return FALSE;
  if (self->regular && g_strcmp0 (position_file, POSITION_PATH) == 0)
    {
      if (self->size < position_size)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                       "file sink: '%s' is %lld bytes, shorter than the %lld bytes the last run "
                       "left in it: it was changed outside sluice; reset the pipe so that a full "
                       "run writes it anew",
                       self->path, (long long) self->size, (long long) position_size);
          return FALSE;
        }
      if (self->size > position_size)
        sluice_log_info (self->context,
                         "file sink: '%s': dropping the last %lld bytes, written by a run that "
                         "did not finish; this run writes them again",
                         self->path, (long long) (self->size - position_size));
      if (!cut_back (self, position_size, error))
        return FALSE;
    }
  self->any_entity = self->size > 0;
  return TRUE;
}

/* A run that writes <path>.tmp: it continues the temporary file of a run that did not finish
 * when @resume, else starts a new one. */
static gboolean
begin_temporary (FileSink *self, gboolean resume, gboolean full, off_t position_size,
                 GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!resume)
    {
      if (!open_file (self, self->tmp_path, O_CREAT | O_TRUNC, error))
        return FALSE;
      self->any_entity = FALSE;
      if (self->format == FILE_FORMAT_JSON)
        g_string_append_c (self->buffer, '[');
      /* Written at once, so that between batches the buffer is always empty. */
      return flush_buffer (self, error);
    }
  if (!open_file (self, self->tmp_path, 0, &local_error) || self->size < position_size)
    {
      g_autofree char *why
        = local_error != NULL
            ? g_strdup (local_error->message)
            : g_strdup_printf ("'%s' is %lld bytes, shorter than its checkpoint of %lld",
                               self->tmp_path, (long long) self->size, (long long) position_size);

      if (self->fd >= 0)
        close (self->fd);
      self->fd = -1;
      g_set_error (error, SLUICE_ERROR,
                   full ? SLUICE_ERROR_RESTART_FULL_RUN : SLUICE_ERROR_IO,
                   "file sink: cannot continue the run that did not finish: %s%s", why,
                   full ? "" : "; reset the pipe so that a full run writes the file anew");
      return FALSE;
    }
  if (!cut_back (self, position_size, error))
    return FALSE;
  if (lseek (self->fd, 0, SEEK_END) < 0)
    return set_io_error (self, error, "seek in", self->tmp_path, errno);
  self->checkpointed = TRUE;
  /* A JSON array's temporary file holds "[" and then entities. */
  self->any_entity = self->format == FILE_FORMAT_JSON ? position_size > 1 : position_size > 0;
  return TRUE;
}

static gboolean
file_sink_begin_at (void *instance, uint32_t run_flags, const SluiceValue *position,
                    GError **error)
{
  FileSink *self = instance;
  gboolean full = (run_flags & SLUICE_RUN_FLAG_FULL) != 0;
  gboolean resumed = (run_flags & SLUICE_RUN_FLAG_RESUMED) != 0;
  const char *position_file = NULL;
  off_t position_size = 0;
  gboolean ok;

  abandon_run (self);
  if (position != NULL && sluice_value_get_kind (position) != SLUICE_VALUE_NULL
      && !parse_position (position, &position_file, &position_size))
    {
      g_autofree char *text = sluice_value_to_json (position);

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "file sink: '%s': the stored position %s is not one of this sink's", self->path,
                   text);
      return FALSE;
    }
  self->appending = !full && self->format == FILE_FORMAT_JSONL;
  self->checkpointed = FALSE;
  self->ended = FALSE;
  self->buffer = g_string_sized_new (FILE_CHUNK_SIZE + 4096);
  if (self->appending)
    ok = begin_appending (self, position_file, position_size, error);
  else
    {
      gboolean continues = g_strcmp0 (position_file, POSITION_TMP) == 0 && (resumed || !full);

      /* A resumed full run with no temporary file to continue starts over. */
      if (resumed && !continues)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_RESTART_FULL_RUN,
                       "file sink: cannot continue the full run that did not finish: no "
                       "checkpoint of '%s' is stored",
                       self->tmp_path);
          ok = FALSE;
        }
      else
        ok = begin_temporary (self, continues, full, position_size, error);
    }
  if (!ok)
    {
      abandon_run (self);
      return FALSE;
    }
  self->checkpoint_size = self->size;
  return TRUE;
}

static gboolean
file_sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  return file_sink_begin_at (instance, run_flags, NULL, error);
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
        g_string_append (self->buffer, self->any_entity ? ",\n" : "\n");
      sluice_json_write_value (self->buffer, sluice_entity_get_body (entity));
      if (self->format == FILE_FORMAT_JSONL)
        g_string_append_c (self->buffer, '\n');
      self->any_entity = TRUE;
      if (self->buffer->len >= FILE_CHUNK_SIZE && !flush_buffer (self, error))
        return SLUICE_FLOW_ERROR;
    }
  /* Hand the batch to the kernel now, so that a full disk fails this batch, not a later one.  A
   * failed write fails the run, which cuts the file back to its last checkpoint. */
  return flush_buffer (self, error) ? SLUICE_FLOW_OK : SLUICE_FLOW_ERROR;
}

/* Makes what was written durable: fsync fails with EINVAL on files that cannot be synced
 * (devices, pipes), which have nothing to lose. */
static gboolean
sync_file (FileSink *self, GError **error)
{
  if (!flush_buffer (self, error))
    return FALSE;
  if (fdatasync (self->fd) != 0 && errno != EINVAL)
    return set_io_error (self, error, "flush", current_path (self), errno);
  return TRUE;
}

static SluiceValue *
new_position (const char *file, off_t size)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  sluice_dict_builder_take (builder, "file", sluice_value_new_string (file, -1));
  sluice_dict_builder_take (builder, "size", sluice_value_new_integer ((int64_t) size));
  return sluice_dict_builder_end (builder);
}

static SluiceValue *
file_sink_checkpoint (void *instance, GError **error)
{
  FileSink *self = instance;

  if (self->ended)
    return self->regular ? new_position (POSITION_PATH, self->final_size) : sluice_value_new_null ();
  if (self->fd < 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "file sink: '%s': checkpoint without a successful begin", self->path);
      return NULL;
    }
  if (!sync_file (self, error))
    return NULL;
  self->checkpoint_size = self->size;
  if (!self->regular)
    return sluice_value_new_null ();
  if (!self->appending)
    self->checkpointed = TRUE;
  return new_position (self->appending ? POSITION_PATH : POSITION_TMP, self->size);
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
    g_string_append (self->buffer, self->any_entity ? "\n]\n" : "]\n");
  if (!sync_file (self, error))
    {
      abandon_run (self);
      return FALSE;
    }
  fd = self->fd;
  self->fd = -1;
  if (close (fd) != 0)
    {
      set_io_error (self, error, "close", current_path (self), errno);
      if (!self->appending && !self->checkpointed)
        unlink (self->tmp_path);
      clear_buffer (self);
      return FALSE;
    }
  if (!self->appending && rename (self->tmp_path, self->path) != 0)
    {
      int errsv = errno;

      if (!self->checkpointed)
        unlink (self->tmp_path);
      clear_buffer (self);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "file sink: cannot rename '%s' to '%s': %s",
                   self->tmp_path, self->path, g_strerror (errsv));
      return FALSE;
    }
  if (!self->appending)
    sync_directory (self);
  clear_buffer (self);
  self->final_size = self->size;
  self->ended = TRUE;
  return TRUE;
}

static const SluiceSinkCallbacks file_sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = file_sink_create,
  .destroy = file_sink_destroy,
  .begin = file_sink_begin,
  .write = file_sink_write,
  .end = file_sink_end,
  .checkpoint = file_sink_checkpoint,
  .begin_at = file_sink_begin_at,
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
