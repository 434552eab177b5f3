#!/usr/bin/env node
import { run } from '../dist/src/cli/upload.js';
run();
