/* sluicectl-client.h — sluicectl's connection to sluiced on D-Bus, and what its failures mean for
 * the exit status.
 *
 * Every call is synchronous (a command-line client has nothing else to do meanwhile).  A failed
 * call keeps the D-Bus error; sluicectl_client_exit_code () turns it into one of the documented
 * exit statuses and sluicectl_client_error_message () into the text for stderr.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SLUICECTL_BUS_NAME "org.sluice.Sluice1"
#define SLUICECTL_MANAGER_PATH "/org/sluice/Sluice1"
#define SLUICECTL_MANAGER_INTERFACE "org.sluice.Sluice1.Manager"
#define SLUICECTL_PIPE_INTERFACE "org.sluice.Sluice1.Pipe"

/* The exit statuses scripts may rely on (docs/sluicectl.md). */
typedef enum
{
  SLUICECTL_EXIT_OK = 0,
  SLUICECTL_EXIT_FAILED = 1,      /* sluiced refused or the operation failed */
  SLUICECTL_EXIT_USAGE = 2,       /* the command line is wrong */
  SLUICECTL_EXIT_UNREACHABLE = 3, /* no bus, or sluiced is not on it */
  SLUICECTL_EXIT_NOT_FOUND = 4,   /* no such pipe, dataset or tripped breaker */
} SluicectlExit;

/* Local errors carry their exit status as code. */
#define SLUICECTL_ERROR (sluicectl_error_quark ())
GQuark sluicectl_error_quark (void);

typedef struct
{
  GDBusConnection *connection;
  const char *bus_label; /* "system", "session" */
} SluicectlClient;

/* Connects to the bus named @bus ("system" or "session").  UNREACHABLE when it cannot. */
gboolean sluicectl_client_connect (SluicectlClient *client, const char *bus, GError **error);
void sluicectl_client_clear (SluicectlClient *client);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SluicectlClient, sluicectl_client_clear)

/* Calls @method of @interface on @path of sluiced. */
GVariant *sluicectl_client_call (SluicectlClient *client, const char *path, const char *interface,
                                 const char *method, GVariant *parameters,
                                 const GVariantType *reply_type, GError **error);
/* (transfer full) The object path of pipe @pipe_id (Manager.GetPipe). */
char *sluicectl_client_pipe_path (SluicectlClient *client, const char *pipe_id, GError **error);
/* (transfer full) Every property of @interface on @path, as a{sv}. */
GVariant *sluicectl_client_get_all (SluicectlClient *client, const char *path,
                                    const char *interface, GError **error);

SluicectlExit sluicectl_client_exit_code (const GError *error);
/* (transfer full) The message for stderr, without the D-Bus error name. */
char *sluicectl_client_error_message (SluicectlClient *client, const GError *error);

G_END_DECLS
