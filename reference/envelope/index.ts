// Public exports of reference/envelope (filled in as the area is built).
export {};
