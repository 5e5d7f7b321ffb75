/* sluicectl-client.c — the D-Bus side of sluicectl: connecting, calling, and reading errors. */
#include "sluicectl-client.h"

G_DEFINE_QUARK (sluicectl-error-quark, sluicectl_error)

gboolean
sluicectl_client_connect (SluicectlClient *client, const char *bus, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GBusType bus_type;

  if (g_strcmp0 (bus, "system") == 0)
    bus_type = G_BUS_TYPE_SYSTEM;
  else if (g_strcmp0 (bus, "session") == 0)
    bus_type = G_BUS_TYPE_SESSION;
  else
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_USAGE,
                   "--bus '%s': expected 'system' or 'session'", bus);
      return FALSE;
    }
  client->bus_label = bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session";
  client->connection = g_bus_get_sync (bus_type, NULL, &local_error);
  if (client->connection == NULL)
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_UNREACHABLE,
                   "cannot connect to the %s bus: %s", client->bus_label, local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
sluicectl_client_clear (SluicectlClient *client)
{
  g_clear_object (&client->connection);
}

GVariant *
sluicectl_client_call (SluicectlClient *client, const char *path, const char *interface,
                       const char *method, GVariant *parameters, const GVariantType *reply_type,
                       GError **error)
{
  return g_dbus_connection_call_sync (client->connection, SLUICECTL_BUS_NAME, path, interface,
                                      method, parameters, reply_type, G_DBUS_CALL_FLAGS_NONE, -1,
                                      NULL, error);
}

char *
sluicectl_client_pipe_path (SluicectlClient *client, const char *pipe_id, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  char *path = NULL;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 "GetPipe", g_variant_new ("(s)", pipe_id), G_VARIANT_TYPE ("(o)"),
                                 error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &path);
  return path;
}

GVariant *
sluicectl_client_get_all (SluicectlClient *client, const char *path, const char *interface,
                          GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply
      = sluicectl_client_call (client, path, "org.freedesktop.DBus.Properties", "GetAll",
                               g_variant_new ("(s)", interface), G_VARIANT_TYPE ("(a{sv})"), error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value (reply, 0);
}

static gboolean
is_unreachable (const char *remote)
{
  static const char *const names[] = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.NoServer",
    "org.freedesktop.DBus.Error.Disconnected",
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Timeout",
    NULL,
  };

  return remote != NULL && g_strv_contains (names, remote);
}

SluicectlExit
sluicectl_client_exit_code (const GError *error)
{
  g_autofree char *remote = NULL;

  if (error->domain == SLUICECTL_ERROR)
    return (SluicectlExit)error->code;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return SLUICECTL_EXIT_UNREACHABLE;
  remote = g_dbus_error_get_remote_error (error);
  if (is_unreachable (remote))
    return SLUICECTL_EXIT_UNREACHABLE;
  if (g_strcmp0 (remote, "org.sluice.Sluice1.Error.NotFound") == 0)
    return SLUICECTL_EXIT_NOT_FOUND;
  return SLUICECTL_EXIT_FAILED;
}

char *
sluicectl_client_error_message (SluicectlClient *client, const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  g_autoptr (GError) copy = g_error_copy (error);

  if (is_unreachable (remote))
    return g_strdup_printf ("sluiced is not running on the %s bus (%s is not there)",
                            client->bus_label != NULL ? client->bus_label : "", SLUICECTL_BUS_NAME);
  g_dbus_error_strip_remote_error (copy);
  if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.AccessDenied") == 0)
    return g_strdup_printf ("%s (on the system bus, only root and members of the group 'sluice' "
                            "may call sluiced's methods)",
                            copy->message);
  return g_strdup (copy->message);
}
