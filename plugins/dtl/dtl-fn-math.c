/* dtl-fn-math.c — arithmetic (digest §11.7 "Math").
 *
 * Integers stay integers while they fit in 64 bits and move to exact decimals when they do not;
 * any float operand makes a float; any decimal operand (and no float) makes a decimal.  Results
 * that are undefined (division by zero, the square root of a negative) are null.
 */
#include "dtl-compiler.h"
#include "dtl-decimal.h"

#include <math.h>

static SluiceValue *
decimal_arith (DtlOp op, SluiceValue *a, SluiceValue *b, gboolean integers)
{
  DtlDecimal da = { 0 }, db = { 0 }, r = { 0 };
  SluiceValue *result = NULL;

  if (!sluice_dtl_decimal_from_value (&da, a) || !sluice_dtl_decimal_from_value (&db, b))
    goto out;
  switch (op)
    {
    case DTL_OP_ADD:
    case DTL_OP_SUB:
      sluice_dtl_decimal_add (&r, &da, &db, op == DTL_OP_SUB);
      break;
    case DTL_OP_MUL:
      sluice_dtl_decimal_mul (&r, &da, &db);
      break;
    case DTL_OP_DIV:
      if (!sluice_dtl_decimal_div (&r, &da, &db))
        goto out;
      if (integers && r.exp < 0)
        {
          /* Inexact integer division: a float, as in Python. */
          sluice_dtl_decimal_clear (&r);
          result = sluice_value_new_float (sluice_value_get_float (a) / sluice_value_get_float (b));
          goto out;
        }
      break;
    case DTL_OP_MOD:
      {
        DtlDecimal q = { 0 }, qb = { 0 };

        /* a - b * floor (a / b), the sign following the divisor as in Python. */
        if (!sluice_dtl_decimal_div (&q, &da, &db))
          goto out;
        sluice_dtl_decimal_quantize (&q, 0, 'f');
        sluice_dtl_decimal_mul (&qb, &q, &db);
        sluice_dtl_decimal_add (&r, &da, &qb, TRUE);
        sluice_dtl_decimal_clear (&q);
        sluice_dtl_decimal_clear (&qb);
      }
      break;
    default:
      goto out;
    }
  result = sluice_dtl_decimal_to_value (&r, integers);
out:
  sluice_dtl_decimal_clear (&da);
  sluice_dtl_decimal_clear (&db);
  sluice_dtl_decimal_clear (&r);
  return result;
}

static SluiceValue *
float_result (double d)
{
  if (isnan (d))
    return NULL;
  return sluice_value_new_float (d);
}

SluiceValue *
sluice_dtl_arith (DtlOp op, SluiceValue *a, SluiceValue *b)
{
  SluiceValueKind ka = dtl_kind (a), kb = dtl_kind (b);

  if (!dtl_is_number (a) || !dtl_is_number (b))
    return NULL;
  if (ka == SLUICE_VALUE_INTEGER && kb == SLUICE_VALUE_INTEGER)
    {
      int64_t x = sluice_value_get_integer (a), y = sluice_value_get_integer (b), r;

      switch (op)
        {
        case DTL_OP_ADD:
          if (!__builtin_add_overflow (x, y, &r))
            return sluice_value_new_integer (r);
          break;
        case DTL_OP_SUB:
          if (!__builtin_sub_overflow (x, y, &r))
            return sluice_value_new_integer (r);
          break;
        case DTL_OP_MUL:
          if (!__builtin_mul_overflow (x, y, &r))
            return sluice_value_new_integer (r);
          break;
        case DTL_OP_DIV:
          if (y == 0)
            return NULL;
          if (y == -1 && x == G_MININT64)
            break;
          if (x % y == 0)
            return sluice_value_new_integer (x / y);
          return sluice_value_new_float ((double) x / (double) y);
        case DTL_OP_MOD:
          if (y == 0)
            return NULL;
          if (y == -1)
            return sluice_value_new_integer (0);
          r = x % y;
          if (r != 0 && ((r < 0) != (y < 0)))
            r += y;
          return sluice_value_new_integer (r);
        case DTL_OP_POW:
          if (y >= 0)
            {
              int64_t acc = 1, base = x, e = y;
              gboolean overflow = FALSE;

              while (e > 0 && !overflow)
                {
                  if (e & 1)
                    overflow |= __builtin_mul_overflow (acc, base, &acc);
                  e >>= 1;
                  if (e > 0)
                    overflow |= __builtin_mul_overflow (base, base, &base);
                }
              if (!overflow)
                return sluice_value_new_integer (acc);
            }
          return float_result (pow ((double) x, (double) y));
        }
      return decimal_arith (op, a, b, TRUE);
    }
  if (ka == SLUICE_VALUE_FLOAT || kb == SLUICE_VALUE_FLOAT || op == DTL_OP_POW)
    {
      double x = sluice_value_get_float (a), y = sluice_value_get_float (b);

      switch (op)
        {
        case DTL_OP_ADD: return float_result (x + y);
        case DTL_OP_SUB: return float_result (x - y);
        case DTL_OP_MUL: return float_result (x * y);
        case DTL_OP_DIV: return y == 0 ? NULL : float_result (x / y);
        case DTL_OP_MOD:
          {
            double r;

            if (y == 0)
              return NULL;
            r = fmod (x, y);
            if (r != 0 && ((r < 0) != (y < 0)))
              r += y;
            return float_result (r);
          }
        case DTL_OP_POW: return float_result (pow (x, y));
        }
    }
  return decimal_arith (op, a, b, FALSE);
}

/* Symbolic operators: the first value of each argument, one number or null. */
static SluiceValue *
symbolic (DtlEval *ev, const DtlNode *node, DtlOp op)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = dtl_eval (ev, node->args[1]);
  SluiceValue *r = sluice_dtl_arith (op, dtl_first (a), dtl_first (b));

  return r ? r : dtl_null ();
}

static SluiceValue *fn_add (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_ADD); }
static SluiceValue *fn_sub (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_SUB); }
static SluiceValue *fn_mul (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_MUL); }
static SluiceValue *fn_div (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_DIV); }
static SluiceValue *fn_mod_sym (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_MOD); }
static SluiceValue *fn_pow_sym (DtlEval *ev, const DtlNode *node) { return symbolic (ev, node, DTL_OP_POW); }

/* Word forms: a scalar operand first, mapped over VALUES with the value on the left. */
typedef struct
{
  DtlOp op;
  SluiceValue *operand;
} WordSpec;

static SluiceValue *
word_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  WordSpec *spec = data;

  return sluice_dtl_arith (spec->op, item, spec->operand);
}

static SluiceValue *
word (DtlEval *ev, const DtlNode *node, DtlOp op)
{
  g_autoptr (SluiceValue) operand = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[1]);
  WordSpec spec = { op, dtl_first (operand) };

  if (!dtl_is_number (spec.operand))
    return dtl_null ();
  return sluice_dtl_map (ev, node, values, word_one, &spec);
}

static SluiceValue *fn_plus (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_ADD); }
static SluiceValue *fn_minus (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_SUB); }
static SluiceValue *fn_multiply (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_MUL); }
static SluiceValue *fn_divide (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_DIV); }
static SluiceValue *fn_mod (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_MOD); }
static SluiceValue *fn_pow (DtlEval *ev, const DtlNode *node) { return word (ev, node, DTL_OP_POW); }

static SluiceValue *
abs_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_INTEGER:
      if (sluice_value_get_integer (item) >= 0)
        return sluice_value_ref (item);
      {
        g_autoptr (SluiceValue) zero = sluice_value_new_integer (0);

        return sluice_dtl_arith (DTL_OP_SUB, zero, item);
      }
    case SLUICE_VALUE_FLOAT:
      return sluice_value_new_float (fabs (sluice_value_get_float (item)));
    case SLUICE_VALUE_DECIMAL:
      {
        size_t len;
        const char *s = sluice_value_get_string (item, &len);

        if (s[0] != '-')
          return sluice_value_ref (item);
        {
          g_autofree char *text = g_strndup (s + 1, len - 1);

          return sluice_value_new_decimal (text, NULL);
        }
      }
    default:
      return NULL;
    }
}

static SluiceValue *
fn_abs (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, values, abs_one, NULL);
}

/* ceil, floor, round: with no DIGITS (or 0) integers; otherwise the input's own type. */
typedef struct
{
  char mode;
  int64_t digits;
  gboolean has_digits;
} RoundSpec;

static SluiceValue *
round_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  RoundSpec *spec = data;
  DtlDecimal d = { 0 };
  SluiceValue *r;
  int64_t digits = spec->has_digits ? spec->digits : 0;

  if (!dtl_is_number (item))
    return NULL;
  if (dtl_kind (item) == SLUICE_VALUE_INTEGER && digits >= 0)
    return sluice_value_ref (item);
  if (!sluice_dtl_decimal_from_value (&d, item))
    return NULL;
  if (dtl_kind (item) == SLUICE_VALUE_FLOAT && spec->mode == 'e')
    {
      /* Python rounds the binary value, not its shortest text: 2.675 → 2.67. */
      double x = sluice_value_get_float (item);
      char buf[400];

      if (digits >= 0 && digits < 300)
        {
          g_snprintf (buf, sizeof buf, "%.*f", (int) digits, x);
          sluice_dtl_decimal_clear (&d);
          sluice_dtl_decimal_parse (&d, buf, strlen (buf));
        }
      else
        sluice_dtl_decimal_quantize (&d, digits, spec->mode);
    }
  else
    sluice_dtl_decimal_quantize (&d, digits, spec->mode);
  if (digits == 0 && (!spec->has_digits || spec->digits == 0))
    r = sluice_dtl_decimal_to_value (&d, TRUE);
  else if (dtl_kind (item) == SLUICE_VALUE_FLOAT)
    {
      g_autofree char *text = sluice_dtl_decimal_to_string (&d);

      r = sluice_value_new_float (g_ascii_strtod (text, NULL));
    }
  else if (dtl_kind (item) == SLUICE_VALUE_INTEGER)
    r = sluice_dtl_decimal_to_value (&d, TRUE);
  else
    r = sluice_dtl_decimal_to_value (&d, FALSE);
  sluice_dtl_decimal_clear (&d);
  return r;
}

static SluiceValue *
rounding (DtlEval *ev, const DtlNode *node, char mode)
{
  g_autoptr (SluiceValue) digits = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  RoundSpec spec = { mode, 0, FALSE };

  if (digits != NULL)
    {
      if (dtl_kind (digits) != SLUICE_VALUE_INTEGER)
        return dtl_null ();
      spec.has_digits = TRUE;
      spec.digits = sluice_value_get_integer (digits);
    }
  return sluice_dtl_map (ev, node, values, round_one, &spec);
}

static SluiceValue *fn_ceil (DtlEval *ev, const DtlNode *node) { return rounding (ev, node, 'c'); }
static SluiceValue *fn_floor (DtlEval *ev, const DtlNode *node) { return rounding (ev, node, 'f'); }
static SluiceValue *fn_round (DtlEval *ev, const DtlNode *node) { return rounding (ev, node, 'e'); }

typedef double (*UnaryFunc) (double);

static SluiceValue *
unary_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  UnaryFunc f = (UnaryFunc) data;
  double x, r;

  if (!dtl_is_number (item))
    return NULL;
  x = sluice_value_get_float (item);
  if (f == sqrt && x < 0)
    return dtl_null ();
  if (f == tan && fabs (cos (x)) < 1e-15)
    return dtl_null ();
  r = f (x);
  if (!isfinite (r))
    return dtl_null ();
  return sluice_value_new_float (r);
}

static SluiceValue *
unary (DtlEval *ev, const DtlNode *node, UnaryFunc f)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, values, unary_one, (gpointer) f);
}

static SluiceValue *fn_sqrt (DtlEval *ev, const DtlNode *node) { return unary (ev, node, sqrt); }
static SluiceValue *fn_sin (DtlEval *ev, const DtlNode *node) { return unary (ev, node, sin); }
static SluiceValue *fn_cos (DtlEval *ev, const DtlNode *node) { return unary (ev, node, cos); }
static SluiceValue *fn_tan (DtlEval *ev, const DtlNode *node) { return unary (ev, node, tan); }

static SluiceValue *
fn_sum (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);
  SluiceValue *acc = sluice_value_new_integer (0);

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *item = dtl_at (values, i);
      SluiceValue *next;

      if (!dtl_is_number (item))
        continue;
      next = sluice_dtl_arith (DTL_OP_ADD, acc, item);
      if (next == NULL)
        continue;
      sluice_value_unref (acc);
      acc = next;
    }
  return acc;
}

const DtlFunction sluice_dtl_fn_math[] = {
  { "+", 2, 2, 0, fn_add },
  { "-", 2, 2, 0, fn_sub },
  { "*", 2, 2, 0, fn_mul },
  { "/", 2, 2, 0, fn_div },
  { "%", 2, 2, 0, fn_mod_sym },
  { "^", 2, 2, 0, fn_pow_sym },
  { "plus", 2, 2, 0, fn_plus },
  { "minus", 2, 2, 0, fn_minus },
  { "multiply", 2, 2, 0, fn_multiply },
  { "divide", 2, 2, 0, fn_divide },
  { "mod", 2, 2, 0, fn_mod },
  { "pow", 2, 2, 0, fn_pow },
  { "abs", 1, 1, 0, fn_abs },
  { "ceil", 1, 2, 0, fn_ceil },
  { "floor", 1, 2, 0, fn_floor },
  { "round", 1, 2, 0, fn_round },
  { "sqrt", 1, 1, 0, fn_sqrt },
  { "sin", 1, 1, 0, fn_sin },
  { "cos", 1, 1, 0, fn_cos },
  { "tan", 1, 1, 0, fn_tan },
  { "sum", 1, 1, 0, fn_sum },
  { NULL },
};
