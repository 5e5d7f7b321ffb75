/* sluice-dbus-errors.h — the D-Bus error names of the control API's errors
 * (org.sluice.Sluice1.Error.*, docs/dbus.md).
 *
 * The names are the adapter's: SLUICE_CONTROL_ERROR says what went wrong, and only here does a
 * code become a D-Bus name.  The table is registered with GDBus (g_dbus_error_register_error_domain
 * ()), so that a GDBus client in the same process gets a SLUICE_CONTROL_ERROR back.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_DBUS_ERROR_PREFIX "org.sluice.Sluice1.Error."

/* Registers the names of SLUICE_CONTROL_ERROR with GDBus; once per process, any thread. */
void sluice_dbus_errors_register (void);

/* "org.sluice.Sluice1.Error.Failed", ….NotFound, .InvalidArgument, .Busy, .Off, .NotSupported,
 * .Refused, .InvalidConfig, .ShuttingDown in the order of SluiceControlError; .Failed for an
 * error of any other domain. */
const char *sluice_dbus_error_name (const GError *error);

G_END_DECLS
