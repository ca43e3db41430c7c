// json-transform: evaluates a JSONata expression (https://jsonata.org) over `data`.
//
//   transform:
//     wasm: { skill: json-transform@1 }
//     with:
//       expression: 'orders[status = "paid"].{ "id": id, "total": $sum(lines.(qty * price)) }'
//       data: "${{ steps.extract.output.body }}"
//
// The output is the expression's result (null when it yields nothing). A bad expression fails
// the step with `ExpressionError` (not retried), naming the position and JSONata's error code.
import jsonata from 'jsonata';
import { defineSkill, SkillError } from '../lib/skill.js';

export const skill = defineSkill(async (input, { log }) => {
  let expr;
  try {
    expr = jsonata(input.expression);
  } catch (err) {
    throw expressionError(err);
  }
  let result;
  try {
    result = await expr.evaluate(input.data ?? null, input.bindings ?? {});
  } catch (err) {
    throw expressionError(err);
  }
  log.debug(
    `expression evaluated to ${result === undefined ? 'nothing' : Array.isArray(result) ? `${result.length} items` : typeof result}`,
  );
  return result === undefined ? null : result;
});

function expressionError(err) {
  const where = typeof err.position === 'number' ? ` at position ${err.position}` : '';
  const code = err.code ? ` (${err.code})` : '';
  return new SkillError('ExpressionError', `${err.message}${where}${code}`);
}
