#!/usr/bin/env node
import { run } from '../dist/src/cli/tally.js';
run();
