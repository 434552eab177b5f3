#!/usr/bin/env node
import { run } from '../dist/src/cli/capture.js';
run();
