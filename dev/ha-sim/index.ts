// Public surface of the Home Assistant simulator.

export { startHaSimulator, DEFAULT_HA_VERSION, LEGACY_HA_VERSION } from './server';
export type { HaSimulator, HaSimulatorOptions, SimRegistries } from './server';
export { createDemoHome, createEmptyHome, CONFORMANCE_LEVEL, CONFORMANCE_SWITCH } from './demo-home';
export { startDemoDriver } from './demo-driver';
export type { DemoDriver, DemoDriverOptions } from './demo-driver';
export type * from './types';
