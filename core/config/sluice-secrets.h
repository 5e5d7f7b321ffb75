/* sluice-secrets.h — the secrets file: the values behind $SECRET(name).
 *
 * The secrets file is a JSON object mapping secret names to string values:
 *   {"ops-token": "…", "db-password": "…"}
 * It must be a regular file that neither group nor others can access (mode 0600 or 0400): a file
 * with any group or other permission bit is refused, before it is read, with a message naming the
 * mode and the fix.  Anything else (a FIFO, a directory, a device) is refused at once, without
 * waiting for a writer.  Values are wiped from memory when the SluiceSecrets is freed, are never
 * logged, and no error message ever quotes one.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SluiceSecrets SluiceSecrets;

/* Reads and checks @path.  NULL with @error (SLUICE_CONFIG_ERROR_IO or _SECRETS; the message does
 * not repeat the path) on failure; @ret_line/@ret_column receive the position of the problem in the
 * file when there is one, else 0. */
SluiceSecrets *sluice_secrets_load (const char *path, guint *ret_line, guint *ret_column,
                                    GError **error);
/* An empty set, for a configuration without a secrets file. */
SluiceSecrets *sluice_secrets_new_empty (void);
void sluice_secrets_free (SluiceSecrets *secrets);

/* The value of secret @name, or NULL; borrowed. */
const char *sluice_secrets_lookup (const SluiceSecrets *secrets, const char *name);
/* The secrets file's path, or NULL for an empty set. */
const char *sluice_secrets_get_path (const SluiceSecrets *secrets);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceSecrets, sluice_secrets_free)

G_END_DECLS
