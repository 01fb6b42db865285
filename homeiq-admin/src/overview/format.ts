// The panel's number formatting lives in shared (the ingestor's notifications use it too).
export { ago, bytes, count, days, duration, rate } from '@homeiq/shared/format';
