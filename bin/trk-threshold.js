#!/usr/bin/env node
import { run } from '../dist/src/cli/threshold.js';
run();
