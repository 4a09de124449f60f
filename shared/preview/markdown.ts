/**
 * Text from a repository or a cluster inside a Markdown table cell: pipes,
 * HTML and line breaks would let it reshape the comment (a fake approval, an
 * image that calls home), so they are escaped; a zero-width space after the
 * characters forges turn into references (`@user`, `#12`, GitLab's `!12`,
 * `~label`, `%milestone`, `$snippet`), inside `://`, after `www` and in
 * `GH-12` keeps it from mentioning people, linking issues or making links.
 */
export function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/([\\`*_[\]!|])/g, '\\$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([@#!~%$])/g, '$1\u200b')
    .replace(/:\/\//g, ':/\u200b/')
    .replace(/\b(www)\./gi, '$1\u200b.')
    .replace(/\b(GH)-/gi, '$1\u200b-');
}

/** A fenced block no content can close early: the fence is longer than any backtick run inside. */
export function fenced(text: string, info: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text.replace(/\n$/, '')}\n${fence}`;
}
