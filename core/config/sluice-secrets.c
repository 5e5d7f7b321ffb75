/* sluice-secrets.c — reads and guards the secrets file (see sluice-secrets.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sluice-config-source.h"
#include "sluice-config-error.h"
#include "sluice-secrets.h"

/* Larger files are refused: a secrets file holds a few keys, and reading stays bounded. */
#define MAX_SECRETS_FILE_SIZE (16 * 1024 * 1024)

struct _SluiceSecrets
{
  char *path;
  GHashTable *values; /* name -> value */
};

static void
wipe_free (gpointer data)
{
  char *value = data;

  if (value != NULL)
    explicit_bzero (value, strlen (value));
  g_free (value);
}

SluiceSecrets *
sluice_secrets_new_empty (void)
{
  SluiceSecrets *secrets = g_new0 (SluiceSecrets, 1);

  secrets->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wipe_free);
  return secrets;
}

void
sluice_secrets_free (SluiceSecrets *secrets)
{
  if (secrets == NULL)
    return;
  g_free (secrets->path);
  g_hash_table_unref (secrets->values);
  g_free (secrets);
}

const char *
sluice_secrets_lookup (const SluiceSecrets *secrets, const char *name)
{
  return g_hash_table_lookup (secrets->values, name);
}

const char *
sluice_secrets_get_path (const SluiceSecrets *secrets)
{
  return secrets->path;
}

/* What a file that is not a regular file is, for the message refusing it. */
static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  return "an unknown kind of file";
}

/* Reads the whole file from an already checked descriptor, so that the file checked is the file
 * read. */
static char *
read_all (int fd, gsize size, GError **error)
{
  g_autofree char *text = g_malloc (size + 1);
  gsize done = 0;

  while (done < size)
    {
      gssize n = read (fd, text + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_IO, "cannot read: %s",
                       g_strerror (saved_errno));
          explicit_bzero (text, done);
          return NULL;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  text[done] = '\0';
  return g_steal_pointer (&text);
}

SluiceSecrets *
sluice_secrets_load (const char *path, guint *ret_line, guint *ret_column, GError **error)
{
  g_autoptr (SluiceSecrets) secrets = NULL;
  g_autoptr (SluiceConfigSource) source = NULL;
  g_autoptr (GError) local_error = NULL;
  char *text;
  struct stat st;
  guint line = 0, column = 0;
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  if (ret_line != NULL)
    *ret_line = 0;
  if (ret_column != NULL)
    *ret_column = 0;

  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for good.  The
   * type is then checked on the descriptor, so that the file checked is the file read. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_IO,
                   "cannot open the secrets file: %s", g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_IO,
                   "cannot read the secrets file: %s", g_strerror (saved_errno));
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS,
                   "the secrets file is not a regular file (it is %s)", file_kind (st.st_mode));
      close (fd);
      return NULL;
    }
  /* A regular file never blocks; reading goes on in the ordinary mode. */
  (void) fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  if ((st.st_mode & 0077) != 0)
    {
      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS,
                   "the secrets file is accessible by group or others (mode %04o); "
                   "it must be private to its owner: chmod 600 %s",
                   (unsigned) (st.st_mode & 07777), path);
      close (fd);
      return NULL;
    }
  if (st.st_size > MAX_SECRETS_FILE_SIZE)
    {
      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS,
                   "the secrets file is larger than %d bytes", MAX_SECRETS_FILE_SIZE);
      close (fd);
      return NULL;
    }
  text = read_all (fd, (gsize) st.st_size, error);
  close (fd);
  if (text == NULL)
    return NULL;

  source = sluice_config_source_parse (path, text, -1, &line, &column, &local_error);
  explicit_bzero (text, strlen (text));
  g_free (text);
  if (source == NULL)
    {
      if (ret_line != NULL)
        *ret_line = line;
      if (ret_column != NULL)
        *ret_column = column;
      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS, "invalid JSON: %s",
                   local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (sluice_config_source_get_root (source)))
    {
      sluice_config_source_locate (source, "", FALSE, &line, &column);
      if (ret_line != NULL)
        *ret_line = line;
      if (ret_column != NULL)
        *ret_column = column;
      g_set_error_literal (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS,
                           "expected a JSON object mapping secret names to string values");
      return NULL;
    }

  secrets = sluice_secrets_new_empty ();
  secrets->path = g_strdup (path);
  object = json_node_get_object (sluice_config_source_get_root (source));
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_autoptr (GString) pointer = g_string_new (NULL);

          sluice_json_pointer_append (pointer, name);
          sluice_config_source_locate (source, pointer->str, FALSE, &line, &column);
          if (ret_line != NULL)
            *ret_line = line;
          if (ret_column != NULL)
            *ret_column = column;
          g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS,
                       "secret '%s': expected a string value", name);
          return NULL;
        }
      g_hash_table_replace (secrets->values, g_strdup (name),
                            g_strdup (json_node_get_string (value)));
    }
  return g_steal_pointer (&secrets);
}
