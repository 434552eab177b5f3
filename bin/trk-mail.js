#!/usr/bin/env node
import { run } from '../dist/src/cli/mail.js';
run();
