/** The trk commands the umbrella knows: `trk NAME …` runs `trk-NAME …`. */
import type { CommandSpec } from './options.js';

export interface CommandModule {
  spec: CommandSpec;
  run(argv?: string[]): Promise<never>;
  /** roff for the man page's own @PLACEHOLDERS@, made from the command's tables (scripts/gen-man.ts). */
  manSections?(): Promise<Record<string, string>>;
}

export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  capture: () => import('./capture.js'),
  classify: () => import('./classify.js'),
  tally: () => import('./tally.js'),
  threshold: () => import('./threshold.js'),
  mail: () => import('./mail.js'),
  upload: () => import('./upload.js'),
  collect: () => import('./collect.js'),
  report: () => import('./report.js'),
};
