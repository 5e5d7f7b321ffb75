/* sluice-pushback-input-stream.c — an input stream that reads bytes given back before its base
 * (see sluice-pushback-input-stream.h).
 */
#include <string.h>

#include "sluice-pushback-input-stream.h"

struct _SluicePushbackInputStream
{
  GInputStream parent_instance;
  GIOStream *base;
  GInputStream *base_input; /* borrowed from base */
  GByteArray *pending;      /* given back, read first */
  gboolean holding;         /* the base is not read (while reclaiming) */
};

static void pollable_iface_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SluicePushbackInputStream, sluice_pushback_input_stream,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      pollable_iface_init))

/* Copies what was given back into @buffer; 0 when nothing was. */
static gsize
take_pending (SluicePushbackInputStream *self, void *buffer, gsize count)
{
  gsize n = MIN (count, self->pending->len);

  if (n > 0)
    {
      memcpy (buffer, self->pending->data, n);
      g_byte_array_remove_range (self->pending, 0, n);
    }
  return n;
}

/* Whether the base must not be read now (while reclaiming): then reads would block. */
static gboolean
held (SluicePushbackInputStream *self, GError **error)
{
  if (self->holding)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                         "nothing more is read from the base while reclaiming");
  return self->holding;
}

/* What was given back, else (unless held) the base, read the way @blocking says. */
static gssize
read_stream (SluicePushbackInputStream *self, void *buffer, gsize count, gboolean blocking,
             GCancellable *cancellable, GError **error)
{
  gsize n = take_pending (self, buffer, count);

  if (n > 0 || count == 0)
    return n;
  if (held (self, error))
    return -1;
  return g_pollable_stream_read (self->base_input, buffer, count, blocking, cancellable, error);
}

static gssize
pushback_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
               GError **error)
{
  return read_stream (SLUICE_PUSHBACK_INPUT_STREAM (stream), buffer, count, TRUE, cancellable,
                      error);
}

static gboolean
pushback_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  SluicePushbackInputStream *self = SLUICE_PUSHBACK_INPUT_STREAM (stream);

  return g_io_stream_close (self->base, cancellable, error);
}

static gboolean
pushback_can_poll (GPollableInputStream *stream)
{
  SluicePushbackInputStream *self = SLUICE_PUSHBACK_INPUT_STREAM (stream);

  return G_IS_POLLABLE_INPUT_STREAM (self->base_input)
         && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base_input));
}

static gboolean
pushback_is_readable (GPollableInputStream *stream)
{
  SluicePushbackInputStream *self = SLUICE_PUSHBACK_INPUT_STREAM (stream);

  return self->pending->len > 0
         || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base_input));
}

static GSource *
pushback_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  SluicePushbackInputStream *self = SLUICE_PUSHBACK_INPUT_STREAM (stream);
  GSource *source = g_pollable_source_new (G_OBJECT (stream));
  GSource *child;

  /* What was given back is ready at once; otherwise whatever wakes the base wakes this. */
  if (self->pending->len > 0)
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base_input),
                                                   cancellable);
  g_source_set_dummy_callback (child);
  g_source_add_child_source (source, child);
  g_source_unref (child);
  return source;
}

static gssize
pushback_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                           GError **error)
{
  return read_stream (SLUICE_PUSHBACK_INPUT_STREAM (stream), buffer, count, FALSE, NULL, error);
}

static void
pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = pushback_can_poll;
  iface->is_readable = pushback_is_readable;
  iface->create_source = pushback_create_source;
  iface->read_nonblocking = pushback_read_nonblocking;
}

static void
sluice_pushback_input_stream_finalize (GObject *object)
{
  SluicePushbackInputStream *self = SLUICE_PUSHBACK_INPUT_STREAM (object);

  g_byte_array_unref (self->pending);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (sluice_pushback_input_stream_parent_class)->finalize (object);
}

static void
sluice_pushback_input_stream_class_init (SluicePushbackInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = sluice_pushback_input_stream_finalize;
  input_class->read_fn = pushback_read;
  input_class->close_fn = pushback_close;
}

static void
sluice_pushback_input_stream_init (SluicePushbackInputStream *self)
{
  self->pending = g_byte_array_new ();
}

GInputStream *
sluice_pushback_input_stream_new (GIOStream *base)
{
  SluicePushbackInputStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  self = g_object_new (SLUICE_TYPE_PUSHBACK_INPUT_STREAM, NULL);
  self->base = g_object_ref (base);
  self->base_input = g_io_stream_get_input_stream (base);
  return G_INPUT_STREAM (self);
}

void
sluice_pushback_input_stream_reclaim (SluicePushbackInputStream *stream, GInputStream *reader)
{
  g_autoptr (GByteArray) taken = g_byte_array_new ();
  guint8 buffer[16384];
  gssize n;

  g_return_if_fail (SLUICE_IS_PUSHBACK_INPUT_STREAM (stream));
  g_return_if_fail (G_IS_POLLABLE_INPUT_STREAM (reader));

  /* @reader returns what it holds, then what was given back here, then would block. */
  stream->holding = TRUE;
  while ((n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (reader), buffer,
                                                        sizeof buffer, NULL, NULL))
         > 0)
    g_byte_array_append (taken, buffer, n);
  stream->holding = FALSE;
  g_byte_array_prepend (stream->pending, taken->data, taken->len);
}
