// Public exports of reference/config (filled in as the area is built).
export {};
