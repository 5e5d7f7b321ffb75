/* crm-faults.c — fault injection for the demo CRM (see crm-faults.h). */
#include "crm-faults.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  CrmFaultKind kind;
  char *resource;   /* NULL: every resource */
  char *method;     /* NULL: every method */
  gint64 remaining; /* -1: until reset */
  guint retry_after;
  guint delay_ms;
  guint percent;
} Fault;

struct _CrmFaults
{
  GPtrArray *list; /* Fault *, in the order they were set */
};

static const struct
{
  const char *name;
  CrmFaultKind kind;
  gint64 default_count;
} kinds[] = {
  { "transient-500", CRM_FAULT_TRANSIENT_500, 1 },
  { "permanent-500", CRM_FAULT_PERMANENT_500, -1 },
  { "empty", CRM_FAULT_EMPTY, 1 },
  { "partial", CRM_FAULT_PARTIAL, 1 },
  { "rate-limit", CRM_FAULT_RATE_LIMIT, 1 },
  { "slow", CRM_FAULT_SLOW, -1 },
  { "truncated", CRM_FAULT_TRUNCATED, 1 },
};

static void
fault_free (Fault *fault)
{
  g_free (fault->resource);
  g_free (fault->method);
  g_free (fault);
}

CrmFaults *
crm_faults_new (void)
{
  CrmFaults *faults = g_new0 (CrmFaults, 1);

  faults->list = g_ptr_array_new_with_free_func ((GDestroyNotify)fault_free);
  return faults;
}

void
crm_faults_free (CrmFaults *faults)
{
  if (faults == NULL)
    return;
  g_ptr_array_unref (faults->list);
  g_free (faults);
}

static const char *
kind_name (CrmFaultKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].name;
  return "?";
}

static char *
known_kinds (void)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_string_append_printf (out, "\"%s\", ", kinds[i].name);
  g_string_append (out, "\"reset\"");
  return g_string_free (out, FALSE);
}

void
crm_faults_reset (CrmFaults *faults, const char *resource)
{
  for (guint i = faults->list->len; i-- > 0;)
    {
      Fault *fault = g_ptr_array_index (faults->list, i);

      if (resource == NULL || g_strcmp0 (fault->resource, resource) == 0)
        g_ptr_array_remove_index (faults->list, i);
    }
}

/* Sets one parameter of @fault; @where names the source for the message. */
static gboolean
set_number (Fault *fault, const char *key, gint64 value, const char *where, GError **error)
{
  if (strcmp (key, "count") == 0)
    {
      if (value < 1)
        goto negative;
      fault->remaining = value;
    }
  else if (strcmp (key, "retry_after") == 0)
    {
      if (value < 0 || value > G_MAXUINT)
        goto negative;
      fault->retry_after = (guint)value;
    }
  else if (strcmp (key, "ms") == 0)
    {
      if (value < 0 || value > G_MAXUINT)
        goto negative;
      fault->delay_ms = (guint)value;
    }
  else if (strcmp (key, "percent") == 0)
    {
      if (value < 1 || value > 100)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "%s: \"percent\" must be between 1 and 100, got %" G_GINT64_FORMAT, where,
                       value);
          return FALSE;
        }
      fault->percent = (guint)value;
    }
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: unknown key \"%s\" (expected \"count\", \"retry_after\", \"ms\", "
                   "\"percent\", \"resource\" or \"method\")",
                   where, key);
      return FALSE;
    }
  return TRUE;

negative:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: \"%s\" must be a positive number, got %" G_GINT64_FORMAT, where, key, value);
  return FALSE;
}

static Fault *
fault_new (const char *name, const char *where, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].name, name) == 0)
      {
        Fault *fault = g_new0 (Fault, 1);

        fault->kind = kinds[i].kind;
        fault->remaining = kinds[i].default_count;
        fault->retry_after = 1;
        fault->percent = 10;
        fault->delay_ms = 1000;
        return fault;
      }

  g_autofree char *expected = known_kinds ();
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: unknown fault \"%s\" (expected one of %s)", where, name, expected);
  return NULL;
}

gboolean
crm_faults_apply_json (CrmFaults *faults, JsonObject *object, GError **error)
{
  const char *name;
  const char *resource = NULL;
  Fault *fault;
  g_autoptr (GList) members = NULL;
  JsonNode *node = json_object_get_member (object, "fault");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "/fault: expected a string naming the fault");
      return FALSE;
    }
  name = json_node_get_string (node);

  node = json_object_get_member (object, "resource");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "/resource: expected a string such as \"persons\"");
          return FALSE;
        }
      resource = json_node_get_string (node);
    }

  if (strcmp (name, "reset") == 0)
    {
      crm_faults_reset (faults, resource);
      return TRUE;
    }

  fault = fault_new (name, "/fault", error);
  if (fault == NULL)
    return FALSE;
  fault->resource = g_strdup (resource);

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *where = g_strdup_printf ("/%s", key);

      if (strcmp (key, "fault") == 0 || strcmp (key, "resource") == 0)
        continue;
      node = json_object_get_member (object, key);
      if (strcmp (key, "method") == 0)
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "%s: expected a string such as \"GET\"", where);
              fault_free (fault);
              return FALSE;
            }
          fault->method = g_ascii_strup (json_node_get_string (node), -1);
          continue;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: expected an integer",
                       where);
          fault_free (fault);
          return FALSE;
        }
      if (!set_number (fault, key, json_node_get_int (node), where, error))
        {
          fault_free (fault);
          return FALSE;
        }
    }

  g_ptr_array_add (faults->list, fault);
  return TRUE;
}

gboolean
crm_faults_apply_spec (CrmFaults *faults, const char *spec, GError **error)
{
  g_auto (GStrv) head = g_strsplit (spec, ":", 2);
  g_autofree char *where = g_strdup_printf ("--fault %s", spec);
  Fault *fault;

  if (strcmp (head[0], "reset") == 0)
    {
      crm_faults_reset (faults, NULL);
      return TRUE;
    }
  fault = fault_new (head[0], where, error);
  if (fault == NULL)
    return FALSE;

  if (head[1] != NULL)
    {
      g_auto (GStrv) pairs = g_strsplit (head[1], ",", -1);

      for (char **pair = pairs; *pair != NULL; pair++)
        {
          const char *eq = strchr (*pair, '=');
          g_autofree char *key = NULL;
          char *end = NULL;
          gint64 value;

          if (eq == NULL || eq == *pair)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "%s: expected key=value, got \"%s\"", where, *pair);
              fault_free (fault);
              return FALSE;
            }
          key = g_strndup (*pair, eq - *pair);
          if (strcmp (key, "resource") == 0)
            {
              g_free (fault->resource);
              fault->resource = g_strdup (eq + 1);
              continue;
            }
          if (strcmp (key, "method") == 0)
            {
              g_free (fault->method);
              fault->method = g_ascii_strup (eq + 1, -1);
              continue;
            }
          value = g_ascii_strtoll (eq + 1, &end, 10);
          if (end == eq + 1 || *end != '\0')
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "%s: \"%s\" must be an integer, got \"%s\"", where, key, eq + 1);
              fault_free (fault);
              return FALSE;
            }
          if (!set_number (fault, key, value, where, error))
            {
              fault_free (fault);
              return FALSE;
            }
        }
    }

  g_ptr_array_add (faults->list, fault);
  return TRUE;
}

static gboolean
is_status_fault (CrmFaultKind kind)
{
  return kind == CRM_FAULT_TRANSIENT_500 || kind == CRM_FAULT_PERMANENT_500
         || kind == CRM_FAULT_RATE_LIMIT;
}

static gboolean
fault_matches (const Fault *fault, const char *resource, const char *method)
{
  return (fault->resource == NULL || g_strcmp0 (fault->resource, resource) == 0)
         && (fault->method == NULL || g_strcmp0 (fault->method, method) == 0);
}

void
crm_faults_plan (CrmFaults *faults, const char *resource, const char *method, gboolean is_list,
                 CrmFaultPlan *ret_plan)
{
  gboolean have_status = FALSE, have_body = FALSE, status_pending = FALSE;

  memset (ret_plan, 0, sizeof *ret_plan);

  /* A status fault answers before any body is produced, so a body fault waits for a request
   * that no status fault takes. */
  for (guint i = 0; i < faults->list->len; i++)
    {
      Fault *fault = g_ptr_array_index (faults->list, i);

      if (is_status_fault (fault->kind) && fault_matches (fault, resource, method))
        status_pending = TRUE;
    }

  for (guint i = 0; i < faults->list->len;)
    {
      Fault *fault = g_ptr_array_index (faults->list, i);
      gboolean applies;

      applies = fault_matches (fault, resource, method);
      /* One status fault and one body fault at a time: the next request gets the next one. */
      if (applies && is_status_fault (fault->kind))
        applies = !have_status;
      else if (applies && fault->kind != CRM_FAULT_SLOW)
        applies = is_list && !have_body && !status_pending;

      if (applies)
        {
          switch (fault->kind)
            {
              case CRM_FAULT_TRANSIENT_500:
              case CRM_FAULT_PERMANENT_500:
                ret_plan->status = 500;
                have_status = TRUE;
                break;
              case CRM_FAULT_RATE_LIMIT:
                ret_plan->status = 429;
                ret_plan->retry_after = fault->retry_after;
                have_status = TRUE;
                break;
              case CRM_FAULT_SLOW:
                ret_plan->delay_ms += fault->delay_ms;
                break;
              case CRM_FAULT_EMPTY:
                ret_plan->empty = TRUE;
                have_body = TRUE;
                break;
              case CRM_FAULT_PARTIAL:
                ret_plan->partial_percent = fault->percent;
                have_body = TRUE;
                break;
              case CRM_FAULT_TRUNCATED:
                ret_plan->truncated = TRUE;
                have_body = TRUE;
                break;
              default:
                g_assert_not_reached ();
            }
          if (is_status_fault (fault->kind))
            ret_plan->fault_name = kind_name (fault->kind);

          if (fault->remaining > 0 && --fault->remaining == 0)
            {
              g_ptr_array_remove_index (faults->list, i);
              continue;
            }
        }
      i++;
    }
}

JsonNode *
crm_faults_to_json (CrmFaults *faults)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < faults->list->len; i++)
    {
      Fault *fault = g_ptr_array_index (faults->list, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fault");
      json_builder_add_string_value (builder, kind_name (fault->kind));
      if (fault->resource != NULL)
        {
          json_builder_set_member_name (builder, "resource");
          json_builder_add_string_value (builder, fault->resource);
        }
      if (fault->method != NULL)
        {
          json_builder_set_member_name (builder, "method");
          json_builder_add_string_value (builder, fault->method);
        }
      json_builder_set_member_name (builder, "remaining");
      if (fault->remaining < 0)
        json_builder_add_null_value (builder);
      else
        json_builder_add_int_value (builder, fault->remaining);
      switch (fault->kind)
        {
          case CRM_FAULT_RATE_LIMIT:
            json_builder_set_member_name (builder, "retry_after");
            json_builder_add_int_value (builder, fault->retry_after);
            break;
          case CRM_FAULT_SLOW:
            json_builder_set_member_name (builder, "ms");
            json_builder_add_int_value (builder, fault->delay_ms);
            break;
          case CRM_FAULT_PARTIAL:
            json_builder_set_member_name (builder, "percent");
            json_builder_add_int_value (builder, fault->percent);
            break;
          default:
            break;
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}
