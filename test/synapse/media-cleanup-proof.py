# Runs the media cache cleanup's s3_media_upload commands (as generated) for
# real: MinIO on loopback, a Synapse-shaped SQLite database, a media store with
# one old local upload already in the bucket, one old upload missing from it,
# and one read today. Run with the Python of the pinned Synapse install (it has
# boto3 and s3_media_upload). Input on stdin: {"minio", "port", "commands" (with
# @STORE@, @ENDPOINT@ and @BUCKET@ placeholders)}. Prints one JSON line.
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

DAY_MS = 86400 * 1000


def local_path(store, media_id):
    return os.path.join(store, "local_content", media_id[:2], media_id[2:4], media_id[4:])


def main():
    args = json.load(sys.stdin)
    tmp = tempfile.mkdtemp(prefix="media-cleanup-")
    minio = None
    try:
        endpoint = "http://127.0.0.1:%d" % args["port"]
        env = dict(os.environ, MINIO_ROOT_USER="cleanup-root", MINIO_ROOT_PASSWORD="cleanup-root-secret", AWS_ACCESS_KEY_ID="cleanup-root",
                   AWS_SECRET_ACCESS_KEY="cleanup-root-secret", AWS_DEFAULT_REGION="us-east-1",
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        minio = subprocess.Popen([args["minio"], "server", "--address", "127.0.0.1:%d" % args["port"], "--console-address", "127.0.0.1:%d" % (args["port"] + 1),
                                  os.path.join(tmp, "minio")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(120):
            try:
                urllib.request.urlopen(endpoint + "/minio/health/ready", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("MinIO did not become ready")
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
        bucket = "synapse-media"
        s3.create_bucket(Bucket=bucket)

        store = os.path.join(tmp, "media")
        now = int(time.time() * 1000)
        media = {"oldinbucket1": now - 3 * DAY_MS, "oldnotinbucket": now - 3 * DAY_MS, "readtoday0001": now - 60 * 1000}
        db = sqlite3.connect(os.path.join(tmp, "synapse.db"))
        db.execute("CREATE TABLE local_media_repository (media_id TEXT, created_ts BIGINT, last_access_ts BIGINT, url_cache TEXT)")
        db.execute("CREATE TABLE remote_media_cache (media_origin TEXT, media_id TEXT, filesystem_id TEXT, created_ts BIGINT, last_access_ts BIGINT)")
        for mid, ts in media.items():
            p = local_path(store, mid)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(mid.encode() * 100)
            db.execute("INSERT INTO local_media_repository VALUES (?, ?, ?, NULL)", (mid, ts, ts))
        db.commit()
        db.close()
        # store_synchronous already wrote this one to the bucket.
        s3.upload_file(local_path(store, "oldinbucket1"), bucket, os.path.relpath(local_path(store, "oldinbucket1"), store))

        work = os.path.join(tmp, "work")
        os.makedirs(work)
        with open(os.path.join(work, "database.yaml"), "w") as f:
            json.dump({"sqlite": {"database": os.path.join(tmp, "synapse.db")}}, f)
        runs = []
        for cmd in args["commands"]:
            argv = [a.replace("@STORE@", store).replace("@ENDPOINT@", endpoint).replace("@BUCKET@", bucket) for a in cmd]
            r = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=120)
            runs.append({"argv": cmd, "status": r.returncode, "output": (r.stdout + r.stderr)[-400:]})
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        out = {
            "runs": runs,
            "localLeft": sorted(m for m in media if os.path.exists(local_path(store, m))),
            "inBucket": sorted(m for m in media if os.path.relpath(local_path(store, m), store) in keys),
        }
        print(json.dumps(out))
    finally:
        if minio:
            minio.terminate()
            try:
                minio.wait(10)
            except subprocess.TimeoutExpired:
                minio.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
