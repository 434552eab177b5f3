#!/usr/bin/env node
import { run } from '../dist/src/cli/report.js';
run();
