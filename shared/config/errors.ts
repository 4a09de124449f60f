import type { z } from 'zod';

/** A configuration file that cannot be used; the message names the file, field and reason. */
export class ConfigError extends Error {
  readonly file: string;
  readonly problems: string[];
  /** What the file declares, when that much could be read: lets a broken definition disable just its application. */
  subject?: { kind: 'Application' | 'Cluster' | 'Project'; name: string };

  constructor(file: string, problems: string[]) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }

  static fromZod(file: string, error: z.ZodError): ConfigError {
    return new ConfigError(
      file,
      error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return path ? `${path}: ${issue.message}` : issue.message;
      }),
    );
  }
}
