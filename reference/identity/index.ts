// Public exports of reference/identity (filled in as the area is built).
export {};
