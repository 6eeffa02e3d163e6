"""WeRoBot, the established Python WeChat framework, as an echo bot with its Redis sessions.

The same work any stateful bot does per message besides understanding it: signature,
decrypt, parse, read the user's session from Redis, a reply, write the session back,
encrypt. Served by gunicorn like parkbot (``benchmarks.werobot_app:app``).
"""
import os

import redis
from werobot import WeRoBot
from werobot.session.redisstorage import RedisStorage

# the bench passes the Redis parkbot uses (the embedded server's socket, or REDIS_URL)
store = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
robot = WeRoBot(token=os.environ["WECHAT_TOKEN"], app_id=os.environ["WECHAT_APP_ID"],
                encoding_aes_key=os.environ["WECHAT_ENCODING_AES_KEY"],
                session_storage=RedisStorage(store, prefix="werobot_bench_"))


@robot.text
def echo(message, session):
    session["turns"] = session.get("turns", 0) + 1
    session["last"] = message.content
    return message.content


app = robot.wsgi
