#!/usr/bin/env node
// Entry point for the CDK CLI: `npm run synth`, `npx cdk deploy ...` (see docs/deploy.md).
import { buildApp } from '../lib/app';

buildApp().app.synth();
