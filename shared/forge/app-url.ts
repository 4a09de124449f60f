/**
 * The link a commit status carries, from a template such as
 * `https://driftless.example/#/apps/{app}`; the name is URL-encoded.
 */
export function appUrlFrom(template: string | undefined): ((app: string) => string) | undefined {
  if (!template) return undefined;
  const url = URL.parse(template.replaceAll('{app}', 'app'));
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(`application URL template "${template}" is not an http(s) URL`);
  if (!template.includes('{app}'))
    throw new Error(`application URL template "${template}" has no {app} placeholder`);
  return (app) => template.replaceAll('{app}', encodeURIComponent(app));
}
