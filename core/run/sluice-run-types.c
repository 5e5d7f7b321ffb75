/* sluice-run-types.c — the enumerations, the stats box and the error domain of sluice-run-types.h. */
#include <sluice-plugin-sdk.h>

#include "sluice-run-types.h"

G_DEFINE_QUARK (sluice-pipe-error-quark, sluice_pipe_error)

GType
sluice_run_type_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { SLUICE_RUN_TYPE_AUTO, "SLUICE_RUN_TYPE_AUTO", "auto" },
    { SLUICE_RUN_TYPE_FULL, "SLUICE_RUN_TYPE_FULL", "full" },
    { SLUICE_RUN_TYPE_INCREMENTAL, "SLUICE_RUN_TYPE_INCREMENTAL", "incremental" },
    { SLUICE_RUN_TYPE_PARTIAL, "SLUICE_RUN_TYPE_PARTIAL", "partial" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("SluiceRunType", values));
  return type;
}

const char *
sluice_run_type_to_string (SluiceRunType run_type)
{
  switch (run_type)
    {
    case SLUICE_RUN_TYPE_FULL:
      return "full";
    case SLUICE_RUN_TYPE_INCREMENTAL:
      return "incremental";
    case SLUICE_RUN_TYPE_PARTIAL:
      return "partial";
    case SLUICE_RUN_TYPE_AUTO:
    default:
      return "auto";
    }
}

SluiceContinuation
sluice_continuation_from_capabilities (uint32_t capabilities)
{
  if (!(capabilities & SLUICE_SOURCE_SUPPORTS_SINCE))
    return SLUICE_CONTINUATION_NONE;
  if (capabilities & SLUICE_SOURCE_IS_CHRONOLOGICAL)
    return SLUICE_CONTINUATION_CHRONOLOGICAL;
  if (capabilities & SLUICE_SOURCE_IS_SINCE_COMPARABLE)
    return SLUICE_CONTINUATION_MAX;
  return SLUICE_CONTINUATION_NONE;
}

const char *
sluice_continuation_to_string (SluiceContinuation continuation)
{
  switch (continuation)
    {
    case SLUICE_CONTINUATION_CHRONOLOGICAL:
      return "chronological";
    case SLUICE_CONTINUATION_MAX:
      return "max";
    case SLUICE_CONTINUATION_NONE:
    default:
      return "none";
    }
}

SluiceRunStats *
sluice_run_stats_copy (const SluiceRunStats *stats)
{
  SluiceRunStats *copy = g_memdup2 (stats, sizeof *stats);

  copy->run_id = g_strdup (stats->run_id);
  copy->since_before = g_strdup (stats->since_before);
  copy->since_after = g_strdup (stats->since_after);
  copy->error = stats->error != NULL ? g_error_copy (stats->error) : NULL;
  return copy;
}

void
sluice_run_stats_free (SluiceRunStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->run_id);
  g_free (stats->since_before);
  g_free (stats->since_after);
  g_clear_error (&stats->error);
  g_free (stats);
}

G_DEFINE_BOXED_TYPE (SluiceRunStats, sluice_run_stats, sluice_run_stats_copy, sluice_run_stats_free)
