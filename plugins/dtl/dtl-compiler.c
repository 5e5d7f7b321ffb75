/* dtl-compiler.c — JSON values to DTL node trees, with load-time diagnostics (see
 * dtl-compiler.h). */
#include "dtl-compiler.h"
#include "dtl-plan.h"

#include <string.h>

struct _DtlCompiler
{
  DtlProgram *program;
};

static const DtlFunction *const *
expression_tables (void)
{
  static const DtlFunction *const tables[] = {
    sluice_dtl_fn_logic, sluice_dtl_fn_strings, sluice_dtl_fn_lists, sluice_dtl_fn_math,
    sluice_dtl_fn_dates, sluice_dtl_fn_dicts, sluice_dtl_fn_types, sluice_dtl_fn_bytes,
    sluice_dtl_fn_uris, sluice_dtl_fn_ni, sluice_dtl_fn_json, sluice_dtl_fn_uuid,
    sluice_dtl_fn_misc, sluice_dtl_fn_sets, sluice_dtl_fn_encryption, NULL,
  };
  return tables;
}

static GHashTable *
index_of (gboolean transform)
{
  static GHashTable *indexes[2];
  static gsize once;

  if (g_once_init_enter (&once))
    {
      indexes[0] = g_hash_table_new (g_str_hash, g_str_equal);
      indexes[1] = g_hash_table_new (g_str_hash, g_str_equal);
      for (const DtlFunction *const *t = expression_tables (); *t != NULL; t++)
        for (const DtlFunction *f = *t; f->name != NULL; f++)
          g_hash_table_insert (indexes[0], (gpointer) f->name, (gpointer) f);
      for (const DtlFunction *f = sluice_dtl_transforms; f->name != NULL; f++)
        g_hash_table_insert (indexes[1], (gpointer) f->name, (gpointer) f);
      g_once_init_leave (&once, 1);
    }
  return indexes[transform ? 1 : 0];
}

const DtlFunction *
sluice_dtl_lookup_function (const char *name, gboolean transform)
{
  return g_hash_table_lookup (index_of (transform), name);
}

static guint
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (size_t j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (size_t i = 1; i <= la; i++)
    {
      guint diag = row[0];

      row[0] = (guint) i;
      for (size_t j = 1; j <= lb; j++)
        {
          guint up = row[j];
          guint best = diag + (a[i - 1] != b[j - 1]);

          best = MIN (best, up + 1);
          best = MIN (best, row[j - 1] + 1);
          row[j] = best;
          diag = up;
        }
    }
  return row[lb];
}

static const char *
closest_name (const char *name, gboolean transform)
{
  GHashTableIter iter;
  gpointer key;
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  guint limit = MAX (2, (guint) strlen (name) / 3);

  g_hash_table_iter_init (&iter, index_of (transform));
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint d = edit_distance (name, key);

      if (d < best_d || (d == best_d && best != NULL && strcmp (key, best) < 0))
        {
          best_d = d;
          best = key;
        }
    }
  return best_d <= limit ? best : NULL;
}

static char *
pointer_join (const char *pointer, const char *token)
{
  GString *s = g_string_new (pointer);

  if (s->len > 0)
    g_string_append_c (s, '/');
  for (const char *p = token; *p; p++)
    {
      if (*p == '~')
        g_string_append (s, "~0");
      else if (*p == '/')
        g_string_append (s, "~1");
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

static char *
pointer_index (const char *pointer, guint index)
{
  return *pointer ? g_strdup_printf ("%s/%u", pointer, index) : g_strdup_printf ("%u", index);
}

static void
compile_error (GError **error, const char *pointer, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
compile_error (GError **error, const char *pointer, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE, "%s: %s",
               *pointer ? pointer : "(expression)", message);
}

static const char *
describe_kind (const SluiceValue *v)
{
  switch (sluice_value_get_kind (v))
    {
    case SLUICE_VALUE_NULL: return "null";
    case SLUICE_VALUE_BOOLEAN: return "a boolean";
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DECIMAL: return "a number";
    case SLUICE_VALUE_STRING: return "a string";
    case SLUICE_VALUE_LIST: return "a list";
    case SLUICE_VALUE_DICT: return "an object";
    default: return "a typed value";
    }
}

void
sluice_dtl_node_free (DtlNode *node)
{
  if (node == NULL)
    return;
  for (guint i = 0; i < node->n_args; i++)
    sluice_dtl_node_free (node->args[i]);
  g_free (node->args);
  g_clear_pointer (&node->constant, sluice_value_unref);
  sluice_dtl_path_free (node->path);
  if (node->data_free != NULL && node->data != NULL)
    node->data_free (node->data);
  g_free (node->pointer);
  g_free (node);
}

static DtlNode *
node_new (const char *pointer)
{
  DtlNode *node = g_new0 (DtlNode, 1);

  node->pointer = g_strdup (pointer);
  return node;
}

static char *
describe_arity (const DtlFunction *fn)
{
  const char *unit_min = fn->min_args == 1 ? "argument" : "arguments";

  if (fn->max_args == fn->min_args)
    return fn->min_args == 0 ? g_strdup ("takes no arguments")
                             : g_strdup_printf ("takes %d %s", fn->min_args, unit_min);
  if (fn->max_args == DTL_ARGS_UNLIMITED)
    return g_strdup_printf ("takes at least %d %s", fn->min_args, unit_min);
  return g_strdup_printf ("takes %d to %d arguments", fn->min_args, fn->max_args);
}

gboolean
sluice_dtl_compile_args (DtlCompiler *compiler, DtlNode *node, SluiceValue *call,
                         const char *pointer, guint first, GError **error)
{
  guint n = (guint) sluice_value_list_get_length (call) - 1;

  node->n_args = n;
  node->args = g_new0 (DtlNode *, n ? n : 1);
  for (guint i = first; i < n; i++)
    {
      g_autofree char *p = pointer_index (pointer, i + 1);

      node->args[i] = sluice_dtl_compile_expr (compiler, sluice_value_list_get (call, i + 1), p, error);
      if (node->args[i] == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Checks the call's head and arity; returns the function or NULL with an error. */
static const DtlFunction *
resolve_call (SluiceValue *call, const char *pointer, gboolean transform, GError **error)
{
  SluiceValue *head;
  const char *name;
  const DtlFunction *fn;
  guint n_args;

  if (sluice_value_list_get_length (call) == 0)
    {
      compile_error (error, pointer,
                     transform ? "expected a transform function call such as [\"add\", \"name\", \"_S.name\"], got an empty list"
                               : "an empty list is not an expression; write [\"list\"] for an empty list");
      return NULL;
    }
  head = sluice_value_list_get (call, 0);
  if (sluice_value_get_kind (head) != SLUICE_VALUE_STRING)
    {
      compile_error (error, pointer, "a function call starts with the function name, got %s",
                     describe_kind (head));
      return NULL;
    }
  name = sluice_value_get_string (head, NULL);
  fn = sluice_dtl_lookup_function (name, transform);
  if (fn == NULL)
    {
      const char *suggestion;

      if (sluice_dtl_lookup_function (name, !transform) != NULL)
        {
          compile_error (error, pointer,
                         transform ? "'%s' is an expression function, not a transform function"
                                   : "'%s' is a transform function and cannot be used in an expression",
                         name);
          return NULL;
        }
      suggestion = closest_name (name, transform);
      if (suggestion != NULL)
        compile_error (error, pointer, "unknown %sfunction '%s'; did you mean '%s'?",
                       transform ? "transform " : "", name, suggestion);
      else
        compile_error (error, pointer, "unknown %sfunction '%s'", transform ? "transform " : "",
                       name);
      return NULL;
    }
  if (fn->flags & DTL_FN_UNSUPPORTED)
    {
      g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_UNSUPPORTED,
                   "%s: '%s' is not supported by this version of sluice: %s", pointer, name,
                   fn->reason);
      return NULL;
    }
  n_args = (guint) sluice_value_list_get_length (call) - 1;
  if ((int) n_args < fn->min_args || (fn->max_args != DTL_ARGS_UNLIMITED && (int) n_args > fn->max_args))
    {
      g_autofree char *arity = describe_arity (fn);

      compile_error (error, pointer, "'%s' %s, got %u", name, arity, n_args);
      return NULL;
    }
  return fn;
}

DtlNode *
sluice_dtl_compile_expr (DtlCompiler *compiler, SluiceValue *expr, const char *pointer,
                         GError **error)
{
  DtlNode *node;
  const DtlFunction *fn;
  const char *text;

  switch (sluice_value_get_kind (expr))
    {
    case SLUICE_VALUE_STRING:
      text = sluice_value_get_string (expr, NULL);
      if (sluice_dtl_path_is_path (text))
        {
          GError *local = NULL;

          node = node_new (pointer);
          node->path = sluice_dtl_path_parse (text, &local);
          if (node->path == NULL)
            {
              compile_error (error, pointer, "%s", local->message);
              g_error_free (local);
              sluice_dtl_node_free (node);
              return NULL;
            }
          node->eval = sluice_dtl_eval_path;
          return node;
        }
      G_GNUC_FALLTHROUGH;
    default:
      node = node_new (pointer);
      /* A literal string becomes the shared immortal copy, so that putting it into every target
       * (["add", "type", "customer"]) costs no reference counting. */
      if (sluice_value_get_kind (expr) == SLUICE_VALUE_STRING)
        {
          size_t len;

          text = sluice_value_get_string (expr, &len);
          node->constant = sluice_value_intern_string (text, (gssize) len);
        }
      else
        node->constant = sluice_value_ref (expr);
      node->eval = sluice_dtl_eval_constant;
      return node;
    case SLUICE_VALUE_LIST:
      break;
    }

  fn = resolve_call (expr, pointer, FALSE, error);
  if (fn == NULL)
    return NULL;
  node = node_new (pointer);
  node->fn = fn;
  node->eval = fn->eval;
  if (!(fn->compile ? fn->compile (compiler, node, expr, pointer, error)
                    : sluice_dtl_compile_args (compiler, node, expr, pointer, 0, error)))
    {
      sluice_dtl_node_free (node);
      return NULL;
    }
  return node;
}

DtlNode *
sluice_dtl_compile_transform (DtlCompiler *compiler, SluiceValue *expr, const char *pointer,
                              GError **error)
{
  const DtlFunction *fn;
  DtlNode *node;

  if (sluice_value_get_kind (expr) != SLUICE_VALUE_LIST)
    {
      compile_error (error, pointer,
                     "expected a transform function call such as [\"add\", \"name\", \"_S.name\"], got %s",
                     describe_kind (expr));
      return NULL;
    }
  fn = resolve_call (expr, pointer, TRUE, error);
  if (fn == NULL)
    return NULL;
  node = node_new (pointer);
  node->fn = fn;
  node->exec = fn->exec;
  if (!(fn->compile ? fn->compile (compiler, node, expr, pointer, error)
                    : sluice_dtl_compile_args (compiler, node, expr, pointer, 0, error)))
    {
      sluice_dtl_node_free (node);
      return NULL;
    }
  return node;
}

static int
exec_block (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_run_steps (ev, node->args, node->n_args);
}

DtlNode *
sluice_dtl_compile_block (DtlCompiler *compiler, SluiceValue *value, const char *pointer,
                          GError **error)
{
  DtlNode *node;
  size_t n;

  /* A single transform is a list whose first item is a name; a block is a list of lists. */
  if (sluice_value_get_kind (value) == SLUICE_VALUE_LIST && sluice_value_list_get_length (value) > 0
      && sluice_value_get_kind (sluice_value_list_get (value, 0)) == SLUICE_VALUE_STRING)
    {
      node = node_new (pointer);
      node->exec = exec_block;
      node->n_args = 1;
      node->args = g_new0 (DtlNode *, 1);
      node->args[0] = sluice_dtl_compile_transform (compiler, value, pointer, error);
      if (node->args[0] == NULL)
        {
          sluice_dtl_node_free (node);
          return NULL;
        }
      return node;
    }
  if (sluice_value_get_kind (value) != SLUICE_VALUE_LIST)
    {
      compile_error (error, pointer, "expected a transform or a list of transforms, got %s",
                     describe_kind (value));
      return NULL;
    }
  n = sluice_value_list_get_length (value);
  node = node_new (pointer);
  node->exec = exec_block;
  node->n_args = (guint) n;
  node->args = g_new0 (DtlNode *, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    {
      g_autofree char *p = pointer_index (pointer, (guint) i);

      node->args[i] = sluice_dtl_compile_transform (compiler, sluice_value_list_get (value, i), p, error);
      if (node->args[i] == NULL)
        {
          sluice_dtl_node_free (node);
          return NULL;
        }
    }
  return node;
}

DtlRule *
sluice_dtl_compiler_find_rule (DtlCompiler *compiler, const char *name, const char *pointer,
                               GError **error)
{
  DtlRule *rule = g_hash_table_lookup (compiler->program->rules, name);

  if (rule == NULL)
    {
      g_autoptr (GString) known = g_string_new (NULL);
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, compiler->program->rules);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_string_append_printf (known, "%s'%s'", known->len ? ", " : "", (const char *) key);
      compile_error (error, pointer, "no rule named '%s' (rules: %s)", name, known->str);
    }
  return rule;
}

const DtlProgram *
sluice_dtl_compiler_get_program (DtlCompiler *compiler)
{
  return compiler->program;
}

static void
rule_free (gpointer data)
{
  DtlRule *rule = data;

  for (guint i = 0; i < rule->n_steps; i++)
    sluice_dtl_node_free (rule->steps[i]);
  g_free (rule->steps);
  sluice_dtl_shape_cache_clear (&rule->shapes);
  sluice_dtl_plan_free (rule->plan);
  g_free (rule->name);
  g_free (rule);
}

void
sluice_dtl_program_free (DtlProgram *program)
{
  if (program == NULL)
    return;
  g_hash_table_unref (program->rules);
  g_free (program->identity_ns);
  g_free (program->property_ns);
  g_free (program->pipe_id);
  g_free (program);
}

DtlProgram *
sluice_dtl_program_compile (SluiceValue *rules, const DtlSettings *settings, GError **error)
{
  DtlProgram *program;
  DtlCompiler compiler;
  size_t n;

  if (rules == NULL || sluice_value_get_kind (rules) != SLUICE_VALUE_DICT)
    {
      compile_error (error, "rules", "expected an object of rules, got %s",
                     rules ? describe_kind (rules) : "nothing");
      return NULL;
    }
  program = g_new0 (DtlProgram, 1);
  program->rules = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, rule_free);
  program->pipe_id = g_strdup (settings && settings->pipe_id ? settings->pipe_id : "");
  program->namespaced = settings ? settings->namespaced_identifiers : FALSE;
  program->identity_ns = g_strdup (settings && settings->identity_namespace
                                     ? settings->identity_namespace : program->pipe_id);
  program->property_ns = g_strdup (settings && settings->property_namespace
                                     ? settings->property_namespace : program->pipe_id);
  program->id_required = settings ? settings->id_required : TRUE;
  compiler.program = program;

  /* Rule shells first, so that `apply` can refer to any rule, defined before or after it. */
  n = sluice_value_dict_get_size (rules);
  for (size_t i = 0; i < n; i++)
    {
      DtlRule *rule = g_new0 (DtlRule, 1);

      rule->name = g_strdup (sluice_value_dict_get_key (rules, i));
      g_hash_table_insert (program->rules, rule->name, rule);
    }
  program->default_rule = g_hash_table_lookup (program->rules, "default");
  if (program->default_rule == NULL)
    {
      compile_error (error, "rules", "the 'default' rule is missing");
      sluice_dtl_program_free (program);
      return NULL;
    }
  for (size_t i = 0; i < n; i++)
    {
      const char *name = sluice_value_dict_get_key (rules, i);
      SluiceValue *steps = sluice_value_dict_get_value (rules, i);
      DtlRule *rule = g_hash_table_lookup (program->rules, name);
      g_autofree char *pointer = pointer_join ("rules", name);
      size_t n_steps;

      if (sluice_value_get_kind (steps) != SLUICE_VALUE_LIST)
        {
          compile_error (error, pointer, "expected a list of transforms, got %s", describe_kind (steps));
          sluice_dtl_program_free (program);
          return NULL;
        }
      n_steps = sluice_value_list_get_length (steps);
      rule->steps = g_new0 (DtlNode *, n_steps ? n_steps : 1);
      for (size_t j = 0; j < n_steps; j++)
        {
          g_autofree char *p = pointer_index (pointer, (guint) j);

          rule->steps[j] = sluice_dtl_compile_transform (&compiler, sluice_value_list_get (steps, j), p, error);
          if (rule->steps[j] == NULL)
            {
              sluice_dtl_program_free (program);
              return NULL;
            }
          rule->n_steps++;
        }
      rule->plan = sluice_dtl_plan_new (program, rule);
    }
  return program;
}

DtlNode *
sluice_dtl_program_compile_expression (DtlProgram *program, SluiceValue *expr, const char *pointer,
                                       GError **error)
{
  DtlCompiler compiler = { program };

  return sluice_dtl_compile_expr (&compiler, expr, pointer ? pointer : "", error);
}
