/* raw-http-client.c — one HTTP/1.1 connection driven byte by byte (see raw-http-client.h). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "raw-http-client.h"

#define TIMEOUT_S 30

struct _RawHttp
{
  GSocketConnection *tcp;
  GIOStream *stream; /* tcp, or the TLS connection over it */
  GByteArray *buffer; /* read and not yet consumed */
};

static gboolean
accept_any_certificate (GTlsConnection *connection, GTlsCertificate *certificate,
                        GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

RawHttp *
raw_http_connect (guint port, gboolean tls, GError **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketConnection) tcp = NULL;
  g_autoptr (GIOStream) stream = NULL;
  RawHttp *raw;

  /* A bare socket, not a GSocketClient: no proxy look-up, nothing but the connection. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_timeout (socket, TIMEOUT_S);
  /* Small writes go at once: no waiting for the acknowledgement of the one before. */
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, error)
      || !g_socket_connect (socket, address, NULL, error))
    return NULL;
  tcp = g_socket_connection_factory_create_connection (socket);
  if (tls)
    {
      stream = G_IO_STREAM (g_tls_client_connection_new (G_IO_STREAM (tcp),
                                                         G_SOCKET_CONNECTABLE (address), error));
      if (stream == NULL)
        return NULL;
      g_signal_connect (stream, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (stream), NULL, error))
        return NULL;
    }
  else
    stream = g_object_ref (G_IO_STREAM (tcp));
  raw = g_new0 (RawHttp, 1);
  raw->tcp = g_steal_pointer (&tcp);
  raw->stream = g_steal_pointer (&stream);
  raw->buffer = g_byte_array_new ();
  return raw;
}

gboolean
raw_http_write (RawHttp *raw, const char *text, GError **error)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (raw->stream), text,
                                    strlen (text), NULL, NULL, error);
}

/* Reads what comes next into the buffer; FALSE at the end of the stream (with @error). */
static gboolean
fill (RawHttp *raw, GError **error)
{
  guint8 block[16384];
  gssize n = g_input_stream_read (g_io_stream_get_input_stream (raw->stream), block,
                                  sizeof block, NULL, error);

  if (n < 0)
    return FALSE;
  if (n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                   "the server closed the connection (%u bytes of a response read)",
                   raw->buffer->len);
      return FALSE;
    }
  g_byte_array_append (raw->buffer, block, n);
  return TRUE;
}

/* The offset of @needle in the buffer at or after @from, or -1. */
static gssize
find (RawHttp *raw, const char *needle, gsize from)
{
  gsize len = strlen (needle);

  for (gsize i = from; i + len <= raw->buffer->len; i++)
    if (memcmp (raw->buffer->data + i, needle, len) == 0)
      return i;
  return -1;
}

/* Makes the buffer hold at least @len bytes. */
static gboolean
fill_to (RawHttp *raw, gsize len, GError **error)
{
  while (raw->buffer->len < len)
    if (!fill (raw, error))
      return FALSE;
  return TRUE;
}

/* The value of header @name in @head (lines after the status line), or NULL. */
static char *
header_value (const char *head, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (head, "\r\n", -1);
  gsize len = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, len) == 0 && lines[i][len] == ':')
      return g_strstrip (g_strdup (lines[i] + len + 1));
  return NULL;
}

gboolean
raw_http_read_response (RawHttp *raw, guint *ret_status, char **ret_body, GError **error)
{
  g_autoptr (GString) body = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *length = NULL;
  g_autofree char *encoding = NULL;
  gssize end;
  guint status;

  while ((end = find (raw, "\r\n\r\n", 0)) < 0)
    if (!fill (raw, error))
      return FALSE;
  head = g_strndup ((const char *) raw->buffer->data, end);
  g_byte_array_remove_range (raw->buffer, 0, end + 4);
  if (sscanf (head, "HTTP/1.%*u %u", &status) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an HTTP response: '%s'",
                   head);
      return FALSE;
    }
  length = header_value (head, "Content-Length");
  encoding = header_value (head, "Transfer-Encoding");
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") == 0)
    for (;;)
      {
        gssize line_end;
        guint64 size;

        while ((line_end = find (raw, "\r\n", 0)) < 0)
          if (!fill (raw, error))
            return FALSE;
        size = g_ascii_strtoull ((const char *) raw->buffer->data, NULL, 16);
        g_byte_array_remove_range (raw->buffer, 0, line_end + 2);
        /* Each chunk ends with CRLF; so does the last (empty) one, without trailers. */
        if (!fill_to (raw, size + 2, error))
          return FALSE;
        g_string_append_len (body, (const char *) raw->buffer->data, size);
        g_byte_array_remove_range (raw->buffer, 0, size + 2);
        if (size == 0)
          break;
      }
  else
    {
      guint64 size = length != NULL ? g_ascii_strtoull (length, NULL, 10) : 0;

      if (!fill_to (raw, size, error))
        return FALSE;
      g_string_append_len (body, (const char *) raw->buffer->data, size);
      g_byte_array_remove_range (raw->buffer, 0, size);
    }
  *ret_status = status;
  if (ret_body != NULL)
    *ret_body = g_string_free (g_steal_pointer (&body), FALSE);
  return TRUE;
}

gboolean
raw_http_get (RawHttp *raw, const char *path, const char *token, char **ret_body, GError **error)
{
  g_autofree char *authorization
    = token != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *request
    = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path, authorization);
  g_autofree char *body = NULL;
  guint status;

  if (!raw_http_write (raw, request, error) || !raw_http_read_response (raw, &status, &body, error))
    return FALSE;
  if (status != 200)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s: %u %s", path, status, body);
      return FALSE;
    }
  if (ret_body != NULL)
    *ret_body = g_steal_pointer (&body);
  return TRUE;
}

gboolean
raw_http_shutdown_write (RawHttp *raw, GError **error)
{
  /* Over TLS, closing the output stream sends close_notify and leaves the input open. */
  if (G_IS_TLS_CONNECTION (raw->stream))
    return g_output_stream_close (g_io_stream_get_output_stream (raw->stream), NULL, error);
  return g_socket_shutdown (g_socket_connection_get_socket (raw->tcp), FALSE, TRUE, error);
}

gboolean
raw_http_wait_for_close (RawHttp *raw, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (raw->buffer->len == 0 && !fill (raw, &local_error)
      && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return TRUE;
  if (local_error != NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "waiting for the server to close the connection: ");
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "waiting for the server to close the connection: %u more bytes came",
                 raw->buffer->len);
  return FALSE;
}

void
raw_http_close (RawHttp *raw)
{
  if (raw == NULL)
    return;
  g_io_stream_close (raw->stream, NULL, NULL);
  g_object_unref (raw->stream);
  g_object_unref (raw->tcp);
  g_byte_array_unref (raw->buffer);
  g_free (raw);
}

guint
raw_http_count_fds (GPid pid)
{
  g_autofree char *path = pid != 0 ? g_strdup_printf ("/proc/%d/fd", (int) pid)
                                   : g_strdup ("/proc/self/fd");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  guint count = 0;

  if (dir == NULL)
    g_error ("counting open descriptors: %s", error->message);
  while (g_dir_read_name (dir) != NULL)
    count++;
  /* /proc/self/fd lists the descriptor that reads it. */
  return pid != 0 ? count : count - 1;
}
