#!/usr/bin/env node
import { run } from '../dist/src/cli/trk.js';
run();
