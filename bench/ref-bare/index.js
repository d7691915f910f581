// The JS ceiling on this runtime: answers 200, does nothing else.
export default {
  fetch() {
    return new Response("ok");
  },
};
