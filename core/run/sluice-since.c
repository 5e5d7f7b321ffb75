/* sluice-since.c — rewinding a stored offset for partial rescans (see sluice-since.h). */
#include "sluice-since.h"

#include <math.h>

#include <sluice-plugin-sdk.h>

#define NSEC_PER_SEC 1000000000LL

static char *
rewind_datetime (const char *since_json, const SluiceValue *since, double delta, GError **error)
{
  g_autoptr (SluiceValue) result = NULL;
  g_autoptr (GError) local_error = NULL;
  gint64 seconds = sluice_value_get_datetime_seconds (since);
  gint64 nanoseconds = sluice_value_get_datetime_nanoseconds (since);
  /* Whole seconds and the fraction separately: a double holds nanoseconds since the epoch only
   * to about a quarter of a microsecond. */
  double whole;
  gint64 fraction;

  if (delta > (double)G_MAXINT32 * 1000)
    goto out_of_range;
  whole = (double)(gint64)delta;
  fraction = (gint64)((delta - whole) * NSEC_PER_SEC + 0.5);
  seconds -= (gint64)whole;
  nanoseconds -= fraction;
  while (nanoseconds < 0)
    {
      nanoseconds += NSEC_PER_SEC;
      seconds--;
    }
  result = sluice_value_new_datetime (seconds, (uint32_t)nanoseconds, &local_error);
  if (result == NULL)
    goto out_of_range;
  return sluice_value_to_json (result);

out_of_range:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "offset %s rewound by %g s is before 0001-01-01T00:00:00Z", since_json, delta);
  return NULL;
}

char *
sluice_since_rewind (const char *since_json, double delta, GError **error)
{
  g_autoptr (SluiceValue) since = NULL;
  g_autoptr (SluiceValue) result = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (since_json != NULL, NULL);

  if (!isfinite (delta) || delta < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "cannot rewind offset %s by %g: expected a delta of 0 or more", since_json,
                   delta);
      return NULL;
    }
  since = sluice_value_from_json (since_json, -1, &local_error);
  if (since == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "cannot rewind offset '%s': it is not valid JSON: %s", since_json,
                   local_error->message);
      return NULL;
    }

  switch (sluice_value_get_kind (since))
    {
      case SLUICE_VALUE_INTEGER:
        {
          gint64 value = sluice_value_get_integer (since);

          if (delta > 9.0e18 || delta != (double)(gint64)delta)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "cannot rewind integer offset %s by %g: expected a whole number",
                           since_json, delta);
              return NULL;
            }
          if ((double)value - delta < (double)G_MININT64)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "cannot rewind integer offset %s by %g: the result is below %"
                           G_GINT64_FORMAT,
                           since_json, delta, G_MININT64);
              return NULL;
            }
          result = sluice_value_new_integer (value - (gint64)delta);
          break;
        }
      case SLUICE_VALUE_FLOAT:
        result = sluice_value_new_float (sluice_value_get_float (since) - delta);
        break;
      case SLUICE_VALUE_DATETIME:
        return rewind_datetime (since_json, since, delta, error);
      default:
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "cannot rewind offset %s: expected an integer, a float or a datetime, got %s",
                     since_json, sluice_value_kind_get_name (sluice_value_get_kind (since)));
        return NULL;
    }
  return sluice_value_to_json (result);
}
