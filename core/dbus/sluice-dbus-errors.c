/* sluice-dbus-errors.c — SLUICE_CONTROL_ERROR as D-Bus error names (sluice-dbus-errors.h). */
#include <gio/gio.h>

#include "sluice-dbus-errors.h"

#include "sluice-control.h"

/* In the order of SluiceControlError. */
static const GDBusErrorEntry control_errors[] = {
  { SLUICE_CONTROL_ERROR_FAILED, SLUICE_DBUS_ERROR_PREFIX "Failed" },
  { SLUICE_CONTROL_ERROR_NOT_FOUND, SLUICE_DBUS_ERROR_PREFIX "NotFound" },
  { SLUICE_CONTROL_ERROR_INVALID_ARGUMENT, SLUICE_DBUS_ERROR_PREFIX "InvalidArgument" },
  { SLUICE_CONTROL_ERROR_BUSY, SLUICE_DBUS_ERROR_PREFIX "Busy" },
  { SLUICE_CONTROL_ERROR_OFF, SLUICE_DBUS_ERROR_PREFIX "Off" },
  { SLUICE_CONTROL_ERROR_NOT_SUPPORTED, SLUICE_DBUS_ERROR_PREFIX "NotSupported" },
  { SLUICE_CONTROL_ERROR_REFUSED, SLUICE_DBUS_ERROR_PREFIX "Refused" },
  { SLUICE_CONTROL_ERROR_INVALID_CONFIG, SLUICE_DBUS_ERROR_PREFIX "InvalidConfig" },
  { SLUICE_CONTROL_ERROR_SHUTTING_DOWN, SLUICE_DBUS_ERROR_PREFIX "ShuttingDown" },
};

void
sluice_dbus_errors_register (void)
{
  static gsize registered = 0;

  /* The quark's own string names the domain, so the registration is for SLUICE_CONTROL_ERROR
   * itself. */
  g_dbus_error_register_error_domain (g_quark_to_string (SLUICE_CONTROL_ERROR), &registered,
                                      control_errors, G_N_ELEMENTS (control_errors));
}

const char *
sluice_dbus_error_name (const GError *error)
{
  if (error != NULL && error->domain == SLUICE_CONTROL_ERROR)
    for (gsize i = 0; i < G_N_ELEMENTS (control_errors); i++)
      if (control_errors[i].error_code == error->code)
        return control_errors[i].dbus_error_name;
  return control_errors[0].dbus_error_name;
}
