/* sluice-dbus-service.h — sluiced on D-Bus: org.sluice.Sluice1 (docs/dbus.md).
 *
 * The service exports the Manager object and one Pipe object per pipe of a SluiceControl, and
 * translates: method calls become sluice_control_* calls, their errors become the D-Bus errors
 * org.sluice.Sluice1.Error.*, the control's signals become D-Bus signals and PropertiesChanged.
 * It holds no state of its own beyond what it mirrors.  The interfaces are declared in
 * core/dbus/ (XML); the code gdbus-codegen generates from them is private to this folder, and
 * nothing outside it sees a generated type.
 *
 * The service lives on the main context of the thread that creates it, which must be the
 * control's.
 */
#pragma once

#include <gio/gio.h>

#include "sluice-control.h"

G_BEGIN_DECLS

#define SLUICE_DBUS_NAME "org.sluice.Sluice1"
#define SLUICE_DBUS_PATH "/org/sluice/Sluice1"
#define SLUICE_DBUS_PIPE_PATH_PREFIX "/org/sluice/Sluice1/pipe/"
#define SLUICE_DBUS_MANAGER_INTERFACE "org.sluice.Sluice1.Manager"
#define SLUICE_DBUS_PIPE_INTERFACE "org.sluice.Sluice1.Pipe"

/* The D-Bus Progress signal is sent at most this often per pipe. */
#define SLUICE_DBUS_PROGRESS_INTERVAL_US (200 * G_TIME_SPAN_MILLISECOND)

typedef struct _SluiceDbusService SluiceDbusService;

/* Exports the objects of @control on @connection (a message bus connection) and then owns
 * SLUICE_DBUS_NAME on it, so that a client that sees the name finds every object.  Fails when the
 * name has another owner ("org.sluice.Sluice1 is already owned on the bus (is another sluiced
 * running?)").  @control and @connection are referenced. */
SluiceDbusService *sluice_dbus_service_new (SluiceControl *control, GDBusConnection *connection,
                                            GError **error);
/* As sluice_dbus_service_new () on a new connection to @bus_type (G_BUS_TYPE_SESSION or
 * G_BUS_TYPE_SYSTEM).  Fails naming the bus when it cannot be reached. */
SluiceDbusService *sluice_dbus_service_new_for_bus (SluiceControl *control, GBusType bus_type,
                                                    GError **error);
/* Releases the name and unexports every object. */
void sluice_dbus_service_free (SluiceDbusService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDbusService, sluice_dbus_service_free)

/* The object path of pipe @pipe_id: SLUICE_DBUS_PIPE_PATH_PREFIX and the id escaped with
 * g_dbus_escape_object_path (). */
char *sluice_dbus_pipe_path (const char *pipe_id);

G_END_DECLS
