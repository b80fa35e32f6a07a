// The members' app: entry module (built by web/build.mjs into /web/dist/members.js).
export {};
