/* sluice-config-substitute.h — replaces $ENV(name) and $SECRET(name) in configuration values.
 *
 * Substitution happens in string values only (never in keys), before validation, anywhere in a
 * component: "$ENV(host)" as a whole value or embedded, several in one string
 * ("http://$ENV(domain):$ENV(port)/"), $ENV and $SECRET mixed but not nested.  The result is always
 * a string.  A name is made of ASCII letters, digits, '_', '-', '.' and ':'.  Text that merely
 * starts like a reference but is not one ("$ENV" without "(") is left alone.
 *
 * $ENV comes from the environment given (the process environment in sluiced); $SECRET from the
 * secrets file.  Every value that received a secret is recorded as secret, so that it is redacted
 * wherever configuration is shown; error messages name the reference, never a value.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sluice-secrets.h"

G_BEGIN_DECLS

/* Called once per problem; @pointer is relative to the node given. */
typedef void (*SluiceConfigReportFunc) (const char *pointer, gboolean at_key, const char *message,
                                        gpointer user_data);

/* Substitutes in place in @node.  @secrets_file: the secrets file given (NULL for none); @secrets:
 * its contents, NULL when it could not be used (a problem reported elsewhere).
 * @envp: a NULL-terminated environment as g_get_environ () returns.
 * Adds to @secret_pointers (a char * set) the pointer of each value that now holds a secret, and to
 * @secret_values (char *, may be NULL) each secret value used.  Returns the number of problems
 * reported. */
guint sluice_config_substitute (JsonNode *node, const SluiceSecrets *secrets,
                                const char *secrets_file, const char *const *envp, GHashTable *secret_pointers,
                                GPtrArray *secret_values, SluiceConfigReportFunc report,
                                gpointer user_data);

G_END_DECLS
