// Public exports of reference/noise (filled in as the area is built).
export {};
