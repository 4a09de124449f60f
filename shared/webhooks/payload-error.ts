import type { z } from 'zod';

/** A verified request whose body or headers cannot be read as the provider's event (→ 400). */
export class PayloadError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? `invalid payload: ${problems[0]}`
        : `invalid payload: ${problems.join('; ')}`,
    );
    this.name = 'PayloadError';
    this.problems = problems;
  }

  static fromZod(error: z.ZodError): PayloadError {
    return new PayloadError(
      error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return path ? `${path}: ${issue.message}` : issue.message;
      }),
    );
  }
}
