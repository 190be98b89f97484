// Public exports of reference/session (filled in as the area is built).
export {};
