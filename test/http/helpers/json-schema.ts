/**
 * A small JSON Schema checker for the subset the admin API's OpenAPI document uses (type, enum,
 * required, properties, additionalProperties: false, items, allOf, $ref into components.schemas).
 * Returns the problems found; an empty list means the value matches.
 */
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

export function checkSchema(value: unknown, schema: Schema, components: Record<string, Schema>, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (!target) return [`${at}: unresolved $ref ${schema.$ref}`];
    return checkSchema(value, target, components, at);
  }
  const problems: string[] = [];
  for (const sub of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...checkSchema(value, sub, components, at));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, typeOf(value)))) return [...problems, `${at}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) problems.push(`${at}: missing ${k}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) problems.push(...checkSchema(v, props[k], components, `${at}.${k}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: undocumented property ${k}`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => problems.push(...checkSchema(v, schema.items as Schema, components, `${at}[${i}]`)));
  return problems;
}
