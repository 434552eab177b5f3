/** The trk commands the umbrella knows: `trk NAME …` runs `trk-NAME …`. */
import type { CommandSpec } from './options.js';

export interface CommandModule {
  spec: CommandSpec;
  run(argv?: string[]): Promise<never>;
}

export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  capture: () => import('./capture.js'),
};
